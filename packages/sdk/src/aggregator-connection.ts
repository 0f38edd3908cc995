/**
 * The aggregator's four RPCs as promises, each with a deadline, cancellation through an AbortSignal, the client's
 * credentials in metadata, and retries where the call is safe to repeat (retry-policy.ts).
 */
import {
  type Metadata,
  status,
  type CallOptions,
  type ChannelOptions,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  FastUploadAggregatorServiceClient,
  type AggregatorServiceClient,
  type ErrorReason,
  bearerMetadata,
  joinSecretMetadata,
  type GetRunStateRequest,
  type GetRunStateResponse,
  type GetTaskRequest,
  type GetTaskResponse,
  type RegisterClientRequest,
  type RegisterClientResponse,
  type SubmitScalarGradientsRequest,
  type SubmitScalarGradientsResponse,
} from '@fedkseed/proto';

import { clientCredentials, type TlsOptions } from './credentials';
import { FedKSeedAbortError, FedKSeedCallError, throwIfAborted } from './errors';
import {
  RETRYABLE_STATUS_CODES,
  abortableSleep,
  backoffDelayMs,
  retryPolicyWithDefaults,
  type FullRetryPolicy,
  type RetryPolicy,
} from './retry-policy';

export interface ConnectionOptions {
  /** "host:port" of the aggregator. */
  address: string;
  /** TLS towards the aggregator (true: system roots); insecure when absent, which a trusted network only allows. */
  tls?: TlsOptions | boolean;
  /** Deadline of each call (ms). @default 30_000 */
  callTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Extra grpc-js channel options (e.g. keepalive). */
  channelOptions?: ChannelOptions;
}

/** A retry about to happen, for progress and logs. */
export interface RetryEvent {
  method: string;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  code: status;
  reason: ErrorReason | undefined;
  delayMs: number;
}

export interface CallSettings {
  signal?: AbortSignal;
  /** Called before each retry. */
  onRetry?: (event: RetryEvent) => void;
}

type Callback<Res> = (err: ServiceError | null, res?: Res) => void;
type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: Callback<Res>,
) => ClientUnaryCall;

export class AggregatorConnection {
  readonly address: string;
  private readonly client: AggregatorServiceClient;
  private readonly callTimeoutMs: number;
  private readonly retry: FullRetryPolicy;

  constructor(options: ConnectionOptions) {
    this.address = options.address;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    if (!(this.callTimeoutMs > 0)) throw new RangeError(`callTimeoutMs must be > 0, got ${options.callTimeoutMs}`);
    this.retry = retryPolicyWithDefaults(options.retry);
    // The generated client, with uploads encoded in one pass (the same bytes; a device's upload costs less CPU).
    this.client = new FastUploadAggregatorServiceClient(
      options.address,
      clientCredentials(options.tls),
      options.channelOptions ?? {},
    );
  }

  /** RegisterClient: repeated on failure only when `idempotencyKey` is set (then a repeat is the same client). */
  registerClient(
    request: RegisterClientRequest,
    joinSecret: string,
    settings: CallSettings = {},
  ): Promise<RegisterClientResponse> {
    return this.call(
      'RegisterClient',
      this.client.registerClient.bind(this.client),
      request,
      () => joinSecretMetadata(joinSecret),
      request.idempotencyKey !== '',
      settings,
    );
  }

  getTask(request: GetTaskRequest, token: string, settings: CallSettings = {}): Promise<GetTaskResponse> {
    return this.call(
      'GetTask',
      this.client.getTask.bind(this.client),
      request,
      () => bearerMetadata(token),
      true,
      settings,
    );
  }

  /** Safe to repeat: the server counts one upload per (round, client) and answers a repeat `duplicate = true`. */
  submitScalarGradients(
    request: SubmitScalarGradientsRequest,
    token: string,
    settings: CallSettings = {},
  ): Promise<SubmitScalarGradientsResponse> {
    return this.call(
      'SubmitScalarGradients',
      this.client.submitScalarGradients.bind(this.client),
      request,
      () => bearerMetadata(token),
      true,
      settings,
    );
  }

  getRunState(request: GetRunStateRequest, token: string, settings: CallSettings = {}): Promise<GetRunStateResponse> {
    return this.call(
      'GetRunState',
      this.client.getRunState.bind(this.client),
      request,
      () => bearerMetadata(token),
      true,
      settings,
    );
  }

  close(): void {
    this.client.close();
  }

  private async call<Req, Res>(
    method: string,
    fn: UnaryMethod<Req, Res>,
    request: Req,
    metadata: () => Metadata,
    idempotent: boolean,
    settings: CallSettings,
  ): Promise<Res> {
    const maxAttempts = idempotent ? this.retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(settings.signal);
      try {
        return await this.once(fn, request, metadata(), settings.signal);
      } catch (e) {
        if (e instanceof FedKSeedAbortError) throw e;
        const err = e as ServiceError;
        const failure = new FedKSeedCallError(method, err, attempt);
        if (attempt >= maxAttempts || !RETRYABLE_STATUS_CODES.has(err.code)) throw failure;
        const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt, this.retry);
        settings.onRetry?.({ method, attempt, code: err.code, reason: failure.reason, delayMs });
        await abortableSleep(delayMs, settings.signal);
      }
    }
  }

  private once<Req, Res>(
    fn: UnaryMethod<Req, Res>,
    request: Req,
    metadata: Metadata,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = fn(request, metadata, { deadline: Date.now() + this.callTimeoutMs }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          if (err.code === status.CANCELLED && signal?.aborted)
            reject(new FedKSeedAbortError(undefined, { cause: signal.reason }));
          else reject(err);
        } else resolve(res!);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
