/**
 * The one translator from Lua replies to results or typed errors. Every script replies with an array whose
 * first element is a code: >= 0 is success (the meaning is per script), < 0 is a failure whose reason is
 * fixed here for all scripts, followed by detail values documented in each script's header.
 */
import { storeError, type StoreErrorDetails, type StoreErrorReason } from '../errors';

export const FAILURE_REASONS: ReadonlyMap<number, StoreErrorReason> = new Map<number, StoreErrorReason>([
  [-1, 'RUN_NOT_INITIALIZED'],
  [-2, 'RUN_CONFIG_MISMATCH'],
  [-3, 'CLIENT_CONFLICT'],
  [-4, 'UNKNOWN_CLIENT'],
  [-5, 'STALE_VERSION'],
  [-6, 'ROUND_ALREADY_OPEN'],
  [-7, 'ROUND_NOT_OPEN'],
  [-8, 'ROUND_CLOSED'],
  [-9, 'NOT_SELECTED'],
  [-10, 'DUPLICATE_SUBMISSION'],
  [-11, 'LEASE_HELD'],
  [-12, 'LEASE_LOST'],
  [-13, 'ALREADY_CLOSED'],
  [-14, 'ROUND_NOT_CLOSING'],
  [-15, 'CONCURRENT_UPDATE'],
  [-16, 'INVALID_ARGUMENT'],
  [-17, 'WRITE_EXPIRED'],
  [-18, 'REGISTRATION_LIMIT'],
  [-19, 'CLIENT_LIMIT'],
]);

/** A successful reply: its code and accessors for the values after it. */
export interface ScriptSuccess {
  code: number;
  text(i: number): string;
  int(i: number): number;
}

const asText = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

/** Returns the success, or throws the typed error for a failure code; `context` says what the call was about. */
export function translateScriptReply(script: string, reply: unknown, context: StoreErrorDetails = {}): ScriptSuccess {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number')
    throw new Error(`${script}: unexpected reply ${JSON.stringify(reply)}`);
  const [code, ...rest] = reply as [number, ...unknown[]];
  if (code >= 0) {
    return { code, text: (i) => asText(rest[i]), int: (i) => Number(asText(rest[i])) };
  }
  const reason = FAILURE_REASONS.get(code);
  if (!reason) throw new Error(`${script}: unknown failure code ${code}`);
  const details: StoreErrorDetails = { ...context };
  const text = (i: number) => asText(rest[i]);
  switch (reason) {
    case 'RUN_CONFIG_MISMATCH':
      details.detail = `stored ${text(0)}`;
      break;
    case 'CLIENT_CONFLICT':
      details.detail = `registered as ${text(0)}`;
      break;
    case 'UNKNOWN_CLIENT':
      if (rest.length) details.clientId = text(0);
      break;
    case 'STALE_VERSION':
    case 'ROUND_NOT_OPEN':
    case 'ALREADY_CLOSED':
      details.version = Number(text(0));
      break;
    case 'ROUND_CLOSED':
      details.detail = text(0) === 'deadline passed' ? 'deadline passed' : `round is ${text(0)}`;
      break;
    case 'LEASE_HELD':
      details.leaseHolder = text(0);
      details.leaseExpiresAtMs = Number(text(1));
      break;
    case 'LEASE_LOST':
      details.leaseHolder = text(0);
      break;
    case 'REGISTRATION_LIMIT':
      details.detail = `the join secret has admitted ${text(0)} clients`;
      break;
    case 'CLIENT_LIMIT':
      details.detail = `the run has ${text(0)} clients`;
      break;
    case 'CONCURRENT_UPDATE':
    case 'INVALID_ARGUMENT':
      details.detail = text(0);
      break;
    default:
      break;
  }
  throw storeError(reason, details);
}
