/**
 * The standard `grpc.health.v1.Health` service (Check and Watch), hand-written: its two messages have one
 * field each, so encoding them here costs less than a dependency.
 *
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN 0, SERVING 1, NOT_SERVING 2,
 *                                                              // SERVICE_UNKNOWN 3 (Watch only)
 *
 * Check answers NOT_FOUND for a service it does not know; Watch sends the current status at once and then
 * every change, and SERVICE_UNKNOWN for a service it does not know (which may appear later).
 */
import {
  type Client,
  makeGenericClientConstructor,
  status,
  type ChannelCredentials,
  type handleUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
} as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: ServingStatus;
}

export function encodeHealthCheckRequest(request: HealthCheckRequest): Buffer {
  const text = Buffer.from(request.service, 'utf8');
  return text.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), encodeVarint(text.length), text]);
}

/** Reads field 1 and skips any other field (the proto3 rules for unknown fields). */
export function decodeHealthCheckRequest(bytes: Buffer): HealthCheckRequest {
  let service = '';
  let at = 0;
  while (at < bytes.length) {
    const [tag, afterTag] = decodeVarint(bytes, at);
    at = afterTag;
    const wireType = tag & 7;
    if (wireType === 0) at = decodeVarint(bytes, at)[1];
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const [length, start] = decodeVarint(bytes, at);
      if (tag >>> 3 === 1) service = bytes.toString('utf8', start, start + length);
      at = start + length;
    } else throw new RangeError(`HealthCheckRequest: unsupported wire type ${wireType}`);
  }
  if (at > bytes.length) throw new RangeError('HealthCheckRequest: truncated');
  return { service };
}

export function encodeHealthCheckResponse(response: HealthCheckResponse): Buffer {
  return response.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, response.status]);
}

export function decodeHealthCheckResponse(bytes: Buffer): HealthCheckResponse {
  let value = 0;
  let at = 0;
  while (at < bytes.length) {
    const [tag, afterTag] = decodeVarint(bytes, at);
    if ((tag & 7) !== 0) throw new RangeError('HealthCheckResponse: unexpected wire type');
    const [field, afterField] = decodeVarint(bytes, afterTag);
    if (tag === 0x08) value = field;
    at = afterField;
  }
  return { status: value as ServingStatus };
}

function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

function decodeVarint(bytes: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    scale *= 0x80;
    if ((bytes[i] & 0x80) === 0) return [value, i + 1];
  }
  throw new RangeError('varint: truncated');
}

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

export const HealthServiceDefinition: ServiceDefinition = {
  check: {
    path: `/${HEALTH_SERVICE_NAME}/Check`,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeHealthCheckRequest,
    requestDeserialize: decodeHealthCheckRequest,
    responseSerialize: encodeHealthCheckResponse,
    responseDeserialize: decodeHealthCheckResponse,
  },
  watch: {
    path: `/${HEALTH_SERVICE_NAME}/Watch`,
    requestStream: false,
    responseStream: true,
    requestSerialize: encodeHealthCheckRequest,
    requestDeserialize: decodeHealthCheckRequest,
    responseSerialize: encodeHealthCheckResponse,
    responseDeserialize: decodeHealthCheckResponse,
  },
};

type WatchStream = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/** Serving status per service name ("" is the whole server), with Watch streams kept up to date. */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<WatchStream>();

  /** `services` start SERVING; the whole server ("") is always known. */
  constructor(services: readonly string[] = [], initial: ServingStatus = ServingStatus.SERVING) {
    for (const name of ['', ...services]) this.statuses.set(name, initial);
  }

  status(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  setStatus(service: string, servingStatus: ServingStatus): void {
    this.statuses.set(service, servingStatus);
    for (const watch of this.watchers) if (watch.request.service === service) watch.write({ status: servingStatus });
  }

  /** Sets every known service (and the server) to `servingStatus`. */
  setAll(servingStatus: ServingStatus): void {
    for (const service of [...this.statuses.keys()]) this.setStatus(service, servingStatus);
  }

  /** Ends every Watch stream (a server cannot shut down gracefully while they are open). */
  endWatches(): void {
    for (const watch of this.watchers) watch.end();
    this.watchers.clear();
  }

  readonly implementation: UntypedServiceImplementation = {
    check: ((call, callback) => {
      const servingStatus = this.statuses.get(call.request.service);
      if (servingStatus === undefined) callback({ code: status.NOT_FOUND, details: 'unknown service' });
      else callback(null, { status: servingStatus });
    }) satisfies handleUnaryCall<HealthCheckRequest, HealthCheckResponse>,
    watch: (call: WatchStream) => {
      this.watchers.add(call);
      const forget = () => this.watchers.delete(call);
      call.on('cancelled', forget);
      call.on('close', forget);
      call.write({ status: this.statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN });
    },
  };
}

/** A minimal client of the health service (probes, tests). */
export class HealthClient {
  private readonly client: Client;

  constructor(address: string, credentials: ChannelCredentials) {
    const Ctor = makeGenericClientConstructor(HealthServiceDefinition, HEALTH_SERVICE_NAME);
    this.client = new Ctor(address, credentials);
  }

  check(service = '', deadlineMs = 5000): Promise<ServingStatus> {
    return new Promise((resolve, reject) => {
      const call = (this.client as unknown as Record<string, CallableFunction>).check.bind(this.client);
      call({ service }, { deadline: Date.now() + deadlineMs }, (err: Error | null, res?: HealthCheckResponse) =>
        err ? reject(err) : resolve(res!.status),
      );
    });
  }

  /** Calls `onStatus` with every status the server sends; returns a function that cancels the stream. */
  watch(service: string, onStatus: (s: ServingStatus) => void, onEnd?: (err?: Error) => void): () => void {
    const watch = (this.client as unknown as Record<string, CallableFunction>).watch.bind(this.client);
    const stream = watch({ service }) as NodeJS.ReadableStream & { cancel(): void };
    stream.on('data', (res: HealthCheckResponse) => onStatus(res.status));
    stream.on('error', (err: Error) => onEnd?.(err));
    stream.on('end', () => onEnd?.());
    return () => stream.cancel();
  }

  close(): void {
    this.client.close();
  }
}
