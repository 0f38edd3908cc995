/**
 * Argument checks and normalization shared by every backend, run before any state is touched, so that
 * both stores refuse the same inputs with the same INVALID_ARGUMENT and store the same bytes.
 */
import { encodeDelta, encodeFingerprint, encodeFloat64Vector, encodeSeedDistribution, encodeUpload } from './codec';
import { storeError } from './errors';
import type {
  ClientRecord,
  ClientRegistration,
  CommitCloseInput,
  OpenRoundInput,
  RegistrationAdmission,
  StoredFingerprint,
  StoredSeedDistribution,
  UploadInput,
} from './round-store';

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_ID_LENGTH = 256;

function invalid(detail: string): never {
  throw storeError('INVALID_ARGUMENT', { detail });
}

export function checkRound(round: number, what = 'round'): number {
  if (!Number.isSafeInteger(round) || round < 0) invalid(`${what} must be a non-negative integer, got ${round}`);
  return round;
}

/** Ids are hash fields and JSON strings: non-empty, bounded, and valid Unicode so UTF-8 round-trips them. */
export function checkId(id: string, what: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH)
    invalid(`${what} must be a string of 1..${MAX_ID_LENGTH} characters`);
  if (Buffer.from(id, 'utf8').toString('utf8') !== id) invalid(`${what} must be valid Unicode (no lone surrogates)`);
  return id;
}

/** The canonical record and its JSON (fixed field order), which is what idempotency compares. */
export function prepareClient(c: ClientRegistration): { record: ClientRecord; json: string } {
  checkId(c.clientId, 'clientId');
  if (!Number.isSafeInteger(c.numExamples) || c.numExamples < 1)
    invalid(`numExamples must be an integer >= 1, got ${c.numExamples}`);
  if (c.displayName !== undefined && typeof c.displayName !== 'string') invalid('displayName must be a string');
  if (c.queueFed !== undefined && typeof c.queueFed !== 'boolean') invalid('queueFed must be a boolean');
  // Fixed field order; optional fields only when set (queueFed only when true), so the same registration is
  // the same bytes in every backend.
  const record: ClientRecord = {
    clientId: c.clientId,
    numExamples: c.numExamples,
    ...(c.displayName !== undefined ? { displayName: c.displayName } : {}),
    ...(c.queueFed === true ? { queueFed: true } : {}),
  };
  return { record, json: JSON.stringify(record) };
}

const JOIN_SECRET_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A registration's admission, checked (absent stays absent). */
export function checkAdmission(a: RegistrationAdmission | undefined): RegistrationAdmission | undefined {
  if (a === undefined) return undefined;
  if (typeof a.joinSecret !== 'string' || !JOIN_SECRET_NAME_PATTERN.test(a.joinSecret))
    invalid(`joinSecret must match ${JOIN_SECRET_NAME_PATTERN}`);
  if (!Number.isSafeInteger(a.maxRegistrations) || a.maxRegistrations < 0)
    invalid(`maxRegistrations must be an integer >= 0, got ${a.maxRegistrations}`);
  if (a.maxClients !== undefined && (!Number.isSafeInteger(a.maxClients) || a.maxClients < 0))
    invalid(`maxClients must be an integer >= 0, got ${a.maxClients}`);
  return a;
}

export function decodeClient(json: string): ClientRecord {
  return JSON.parse(json) as ClientRecord;
}

export interface PreparedOpenRound {
  round: number;
  participants: string[];
  deadlineMs: number;
  samplingSeed: string;
  probabilities: Buffer | null;
}

export function prepareOpenRound(input: OpenRoundInput, numCandidateSeeds: number): PreparedOpenRound {
  checkRound(input.round);
  if (!Array.isArray(input.participants) || input.participants.length === 0)
    invalid('participants must be a non-empty array');
  const participants = [...input.participants].map((id) => checkId(id, 'participant id')).sort();
  for (let i = 1; i < participants.length; i++)
    if (participants[i] === participants[i - 1]) invalid(`participant ${JSON.stringify(participants[i])} is repeated`);
  if (!Number.isSafeInteger(input.deadlineMs) || input.deadlineMs < 0)
    invalid(`deadlineMs must be a non-negative integer (epoch ms), got ${input.deadlineMs}`);
  if (typeof input.samplingSeed !== 'bigint' || input.samplingSeed < 0n || input.samplingSeed > MAX_UINT64)
    invalid('samplingSeed must be a uint64 bigint');
  let probabilities: Buffer | null = null;
  if (input.probabilities !== undefined) {
    if (!(input.probabilities instanceof Float64Array) || input.probabilities.length !== numCandidateSeeds)
      invalid(`probabilities must be a Float64Array of length K = ${numCandidateSeeds}`);
    probabilities = encodeFloat64Vector(input.probabilities);
  }
  return {
    round: input.round,
    participants,
    deadlineMs: input.deadlineMs,
    samplingSeed: input.samplingSeed.toString(),
    probabilities,
  };
}

export function prepareUpload(input: UploadInput): { round: number; clientId: string; payload: Buffer } {
  checkRound(input.round);
  checkId(input.clientId, 'clientId');
  if (!Array.isArray(input.pairs)) invalid('pairs must be an array');
  return {
    round: input.round,
    clientId: input.clientId,
    payload: encodeUpload(input.pairs, input.numLocalSteps, input.meanLoss),
  };
}

export function checkLease(closerId: string, leaseMs: number): void {
  checkId(closerId, 'closerId');
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) invalid(`leaseMs must be a positive integer, got ${leaseMs}`);
}

export function prepareCommit(
  input: CommitCloseInput,
  numCandidateSeeds: number,
): { round: number; closerId: string; accumulated: Buffer; delta: Buffer } {
  checkRound(input.round);
  checkId(input.closerId, 'closerId');
  const { accumulated, delta } = input;
  if (!(accumulated instanceof Float64Array) || accumulated.length !== numCandidateSeeds)
    invalid(`accumulated must be a Float64Array of length K = ${numCandidateSeeds}`);
  if (!(delta?.seedIndices instanceof Uint32Array) || !(delta.values instanceof Float64Array))
    invalid('delta must be { seedIndices: Uint32Array, values: Float64Array }');
  if (delta.seedIndices.length !== delta.values.length) invalid('delta seedIndices and values differ in length');
  for (let j = 0; j < delta.seedIndices.length; j++) {
    const i = delta.seedIndices[j];
    if (i >= numCandidateSeeds) invalid(`delta seed index ${i} is outside [0, ${numCandidateSeeds})`);
    if (j > 0 && i <= delta.seedIndices[j - 1]) invalid('delta seed indices must be strictly ascending');
  }
  return {
    round: input.round,
    closerId: input.closerId,
    accumulated: encodeFloat64Vector(accumulated),
    delta: encodeDelta(delta.seedIndices, delta.values),
  };
}

export const MAX_FINGERPRINT_SCHEME_LENGTH = 64;
export const MAX_FINGERPRINT_PROJECTIONS = 16;

/** What is wrong with a fingerprint (scheme 1 to 64 characters, 1 to 16 finite projections), or undefined. */
export function fingerprintProblem(fingerprint: {
  scheme: string;
  projections: ArrayLike<number>;
}): string | undefined {
  const { scheme, projections } = fingerprint;
  if (typeof scheme !== 'string' || scheme.length < 1 || [...scheme].length > MAX_FINGERPRINT_SCHEME_LENGTH)
    return `the scheme must be 1 to ${MAX_FINGERPRINT_SCHEME_LENGTH} characters`;
  if (projections.length < 1 || projections.length > MAX_FINGERPRINT_PROJECTIONS)
    return `it must carry 1 to ${MAX_FINGERPRINT_PROJECTIONS} projections`;
  for (let k = 0; k < projections.length; k++)
    if (!Number.isFinite(projections[k])) return 'its projections must be finite';
  return undefined;
}

/** The stored bytes of a fingerprint, after checking it. */
export function prepareFingerprint(
  version: number,
  fingerprint: StoredFingerprint,
): { version: number; bytes: Buffer } {
  checkRound(version, 'version');
  if (!(fingerprint.projections instanceof Float64Array))
    throw storeError('INVALID_ARGUMENT', { detail: 'fingerprint projections must be a Float64Array' });
  const problem = fingerprintProblem(fingerprint);
  if (problem) throw storeError('INVALID_ARGUMENT', { detail: `fingerprint: ${problem}` });
  return { version, bytes: encodeFingerprint(fingerprint.scheme, fingerprint.projections) };
}

/** The stored bytes of a round's seed distribution; INVALID_ARGUMENT unless p is a Float64Array of length K. */
export function prepareSeedDistribution(
  round: number,
  answer: StoredSeedDistribution,
  numCandidateSeeds: number,
): Buffer {
  checkRound(round);
  const p = answer.probabilities;
  if (p !== undefined && (!(p instanceof Float64Array) || p.length !== numCandidateSeeds))
    throw storeError('INVALID_ARGUMENT', {
      round,
      detail: `probabilities must be a Float64Array of length K = ${numCandidateSeeds}`,
    });
  return encodeSeedDistribution(answer);
}
