/**
 * The model fingerprints a run hands out with its catch-ups: the first one a client reports for a model version
 * (SubmitScalarGradientsRequest.base_model_fingerprint), kept in the store. A version's fingerprint never
 * changes once kept, so a replica remembers the ones it has seen and asks the store no more about them.
 */
import type { ModelFingerprint } from '@fedkseed/proto';
import type { Logger } from '@fedkseed/process-kit';
import type { RoundStore } from '@fedkseed/store';

/** Versions whose fingerprint a replica remembers (the latest ones). */
const CACHE_SIZE = 16;

export class ModelFingerprints {
  private readonly known = new Map<number, ModelFingerprint>();

  constructor(
    private readonly store: RoundStore,
    private readonly logger: Logger,
  ) {}

  /** The fingerprint of model version `version`, if a client reported one. */
  async forVersion(version: number): Promise<ModelFingerprint | undefined> {
    const cached = this.known.get(version);
    if (cached) return cached;
    const stored = await this.store.getFingerprint(version);
    if (!stored) return undefined;
    return this.remember({ version, scheme: stored.scheme, projections: Array.from(stored.projections) });
  }

  /**
   * Keeps a client's report unless the version has one already. Best effort: the upload it came with is
   * recorded by then, so a failure here is logged, not returned to the client.
   */
  async report(fingerprint: ModelFingerprint): Promise<void> {
    if (this.known.has(fingerprint.version)) return;
    try {
      const projections = Float64Array.from(fingerprint.projections);
      const status = await this.store.recordFingerprint(fingerprint.version, {
        scheme: fingerprint.scheme,
        projections,
      });
      if (status === 'recorded') this.remember(fingerprint);
      else await this.forVersion(fingerprint.version);
    } catch (err) {
      this.logger.warn('could not keep a reported model fingerprint', { version: fingerprint.version, err });
    }
  }

  private remember(fingerprint: ModelFingerprint): ModelFingerprint {
    this.known.set(fingerprint.version, fingerprint);
    while (this.known.size > CACHE_SIZE) this.known.delete(Math.min(...this.known.keys()));
    return fingerprint;
  }
}
