/**
 * A gRPC server's whole life in one place: bind (port 0 picks a free port, for tests), TLS or mutual TLS
 * from PEM files (or insecure), the standard health service reporting every registered service and ""
 * (the whole server), requests that do not decode refused as INVALID_ARGUMENT/MALFORMED_REQUEST
 * (request-decoding.ts), and a graceful drain: report NOT_SERVING so load balancers stop sending, refuse new
 * calls, let in-flight calls finish until a deadline, then cut whatever is left.
 */
import { readFileSync } from 'node:fs';

import {
  type ChannelCredentials,
  Server,
  ServerCredentials,
  credentials as grpcCredentials,
  type ServerOptions,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

import type { Logger, TlsFiles } from '@fedkseed/process-kit';

import type { Registry } from 'prom-client';

import { messageBytesInstrument } from './grpc-message-bytes';
import { grpcServerMetricsInterceptor } from './grpc-metrics';
import { HealthService, HealthServiceDefinition, ServingStatus } from './health-service';
import { malformedRequestInterceptor, tolerantRequestDecoding } from './request-decoding';

export interface GrpcServiceRegistration {
  /** Full service name as the health service reports it, e.g. "fedkseed.v1.AggregatorService". */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface StartGrpcServerOptions {
  /** Interface to listen on; "localhost" in tests. @default '0.0.0.0' */
  host?: string;
  /** TCP port; 0 binds a free one (read it back from `port`). */
  port: number;
  /** Serve TLS (mutual TLS when `caFile` is set); insecure when absent. */
  tls?: TlsFiles;
  services: readonly GrpcServiceRegistration[];
  logger: Logger;
  /** Extra grpc-js server options (message size limits, keepalive). Its interceptors run inside the metrics
   *  one, so a call they refuse is counted with its status. */
  serverOptions?: ServerOptions;
  /** The process's registry: per-RPC metrics (grpc-metrics.ts) are recorded into it when given. */
  metrics?: Registry;
}

export interface DrainOptions {
  /** How long in-flight calls may run after the server stops taking new ones, before they are cut (ms).
   *  @default 10000 */
  graceMs?: number;
}

export type DrainOutcome = 'graceful' | 'forced';

export class RunningGrpcServer {
  private draining: Promise<DrainOutcome> | undefined;
  private dependenciesHealthy = true;

  constructor(
    private readonly server: Server,
    /** The bound port (the real one when 0 was asked for). */
    readonly port: number,
    /** "host:port" to dial, e.g. "localhost:41873". */
    readonly address: string,
    readonly health: HealthService,
    private readonly logger: Logger,
  ) {}

  get isDraining(): boolean {
    return this.draining !== undefined;
  }

  /** Taking calls and able to serve them: not draining, and what it depends on (the store) answering. */
  get isServing(): boolean {
    return !this.isDraining && this.dependenciesHealthy;
  }

  /** What the services depend on became (un)reachable: health SERVING or NOT_SERVING, unless draining. */
  setDependenciesHealthy(healthy: boolean): void {
    this.dependenciesHealthy = healthy;
    if (!this.isDraining) this.health.setAll(healthy ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /**
   * NOT_SERVING on every health entry, Watch streams ended, then `tryShutdown` (no new calls; in-flight
   * ones finish) raced against `graceMs`, and `forceShutdown` if the grace runs out. Idempotent: later
   * calls return the first drain's outcome.
   */
  drain(options: DrainOptions = {}): Promise<DrainOutcome> {
    this.draining ??= this.doDrain(options.graceMs ?? 10_000);
    return this.draining;
  }

  private async doDrain(graceMs: number): Promise<DrainOutcome> {
    this.logger.info('draining', { graceMs });
    this.health.setAll(ServingStatus.NOT_SERVING);
    this.health.endWatches();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      new Promise<DrainOutcome>((resolve) => this.server.tryShutdown(() => resolve('graceful'))),
      new Promise<DrainOutcome>((resolve) => {
        timer = setTimeout(() => resolve('forced'), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'forced') this.server.forceShutdown();
    this.logger.info('drained', { outcome });
    return outcome;
  }
}

/** Binds, registers the services and health, and starts serving. */
export async function startGrpcServer(options: StartGrpcServerOptions): Promise<RunningGrpcServer> {
  // grpc-js wraps the call in each interceptor in turn: the first is nearest the transport, so it sees every
  // status the later ones send.
  const interceptors = [
    ...(options.metrics ? [grpcServerMetricsInterceptor(options.metrics)] : []),
    ...(options.serverOptions?.interceptors ?? []),
    malformedRequestInterceptor(),
  ];
  const server = new Server({ ...options.serverOptions, interceptors });
  const health = new HealthService(options.services.map((s) => s.name));
  const measure = options.metrics ? messageBytesInstrument(options.metrics) : undefined;
  for (const s of options.services)
    server.addService(
      tolerantRequestDecoding(measure ? measure(s.name, s.definition) : s.definition),
      s.implementation,
    );
  server.addService(tolerantRequestDecoding(HealthServiceDefinition), health.implementation);
  const host = options.host ?? '0.0.0.0';
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${hostPart}:${options.port}`, serverCredentials(options.tls), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const dialHost = host === '0.0.0.0' || host === '::' || host === '[::]' ? 'localhost' : hostPart;
  options.logger.info('listening', {
    host,
    port,
    tls: options.tls ? (options.tls.caFile ? 'mutual' : 'server') : 'insecure',
    services: options.services.map((s) => s.name),
  });
  if (!options.tls && !isLoopback(hostPart))
    options.logger.warn('serving without TLS on a non-loopback interface', {
      host,
      port,
      hint: 'bearer tokens and join secrets travel in the clear: set TLS_CERT_FILE and TLS_KEY_FILE, or keep the port behind a TLS-terminating proxy or mesh',
    });
  return new RunningGrpcServer(server, port, `${dialHost}:${port}`, health, options.logger);
}

/** Server credentials from PEM files: TLS, mutual TLS when a client CA is given, else insecure. */
export function serverCredentials(tls?: TlsFiles): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const ca = tls.caFile ? readFileSync(tls.caFile) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
    ca !== null,
  );
}

/** What a service needs to call another: the CA to trust and, for mutual TLS, its own certificate. */
export interface ClientTlsFiles {
  /** PEM CA bundle the server's certificate must chain to. @default the system roots */
  caFile?: string;
  /** PEM client certificate, for mutual TLS (with `keyFile`). */
  certFile?: string;
  keyFile?: string;
}

/** Channel credentials from PEM files, or insecure when `tls` is absent. */
export function channelCredentials(tls?: ClientTlsFiles): ChannelCredentials {
  if (!tls) return grpcCredentials.createInsecure();
  return grpcCredentials.createSsl(
    tls.caFile ? readFileSync(tls.caFile) : null,
    tls.keyFile ? readFileSync(tls.keyFile) : null,
    tls.certFile ? readFileSync(tls.certFile) : null,
  );
}

/** Whether `host` names only this machine (127.0.0.0/8, ::1, localhost). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
