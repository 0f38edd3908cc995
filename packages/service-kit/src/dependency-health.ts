/**
 * Health that follows a dependency (the round-state store): a probe every `intervalMs`; the first failure turns
 * the server's health NOT_SERVING and its readiness false, the first success after that turns them back, each
 * change logged once as one structured line. While the dependency is down, calls still fail fast on their own
 * (the store's command deadline); this tells load balancers and Kubernetes to send them elsewhere meanwhile.
 */
import type { Logger } from '@fedkseed/process-kit';

export interface DependencyHealthOptions {
  /** What is watched, for the log lines, e.g. "store". */
  name: string;
  /** Resolves when the dependency answers, rejects (within a bounded time) when it does not. */
  probe: () => Promise<void>;
  /** Told of each change. */
  onChange: (healthy: boolean) => void;
  logger: Logger;
  /** @default 1000 */
  intervalMs?: number;
}

export class DependencyHealth {
  private healthyNow = true;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DependencyHealthOptions) {}

  get healthy(): boolean {
    return this.healthyNow;
  }

  /** Probes now, then every intervalMs until `stop`. */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  /** Probes once now (tests, or a caller that has just seen a failure). */
  async check(): Promise<boolean> {
    this.probing ??= this.probeOnce().finally(() => (this.probing = undefined));
    await this.probing;
    return this.healthyNow;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.probing;
  }

  private tick(): void {
    void this.check().finally(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.options.intervalMs ?? 1000).unref();
    });
  }

  private async probeOnce(): Promise<void> {
    let healthy = true;
    let err: unknown;
    try {
      await this.options.probe();
    } catch (e) {
      healthy = false;
      err = e;
    }
    if (healthy === this.healthyNow || this.stopped) return;
    this.healthyNow = healthy;
    const { name, logger } = this.options;
    if (healthy) logger.info(`${name} reachable again: serving`, { dependency: name });
    else logger.warn(`${name} unreachable: NOT_SERVING until it answers`, { dependency: name, err });
    this.options.onChange(healthy);
  }
}

/** Health and readiness of `server` that follow `store` (probed with its ping), started; stop it when draining. */
export function watchStoreHealth(
  server: { setDependenciesHealthy(healthy: boolean): void },
  store: { ping(): Promise<void> },
  logger: Logger,
  intervalMs?: number,
): DependencyHealth {
  const health = new DependencyHealth({
    name: 'store',
    probe: () => store.ping(),
    onChange: (healthy) => server.setDependenciesHealthy(healthy),
    logger,
    intervalMs,
  });
  health.start();
  return health;
}
