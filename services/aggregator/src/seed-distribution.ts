/**
 * FedKSeed-Pro's seed distribution as the round lifecycle needs it (Qin et al. 2024, section 3.3): feed a
 * closed round's scalars into the importance statistics, then get p = softmax(minmax(psi)) for the next
 * round. Either computed here from the store's seed statistics, or asked of the seed-probability service.
 * Both reports are idempotent by round, so a replica that takes over may repeat one.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  bearerMetadata,
  type GetSeedDistributionResponse,
  type ReportRoundScalarsResponse,
  type SeedProbabilityServiceClient,
} from '@fedkseed/proto';
import type { RoundStore } from '@fedkseed/store';
import type { ScalarGradient, SeedStrategy } from '@fedkseed/zo';

import { apiRound } from './round-numbers';

export interface SeedDistributionProvider {
  /** Adds a closed round's scalars (every counted upload's pairs) to the statistics; a repeat changes nothing. */
  reportRound(storeRound: number, pairs: readonly ScalarGradient[]): Promise<void>;
  /** The probabilities of the round about to open, or undefined for uniform (no history yet). */
  distributionFor(storeRound: number): Promise<Float64Array | undefined>;
}

/** Computes the distribution in the aggregator from the seed statistics kept in its own store. */
export class LocalSeedDistribution implements SeedDistributionProvider {
  constructor(
    private readonly store: RoundStore,
    private readonly strategy: SeedStrategy,
  ) {}

  async reportRound(storeRound: number, pairs: readonly ScalarGradient[]): Promise<void> {
    await this.store.recordRoundScalars(storeRound, pairs);
  }

  async distributionFor(): Promise<Float64Array | undefined> {
    return this.strategy.roundDistribution(await this.store.getSeedStats());
  }
}

/** Asks the seed-probability service (API round numbers on the wire). */
export class RemoteSeedDistribution implements SeedDistributionProvider {
  constructor(
    private readonly client: SeedProbabilityServiceClient,
    private readonly options: { numCandidateSeeds: number; token?: string; callTimeoutMs: number },
  ) {}

  private metadata(): Metadata {
    return this.options.token ? bearerMetadata(this.options.token) : new Metadata();
  }

  async reportRound(storeRound: number, pairs: readonly ScalarGradient[]): Promise<void> {
    await new Promise<ReportRoundScalarsResponse>((resolve, reject) =>
      this.client.reportRoundScalars(
        {
          round: apiRound(storeRound),
          numCandidateSeeds: this.options.numCandidateSeeds,
          scalarGradients: pairs.map((p) => ({ seedIndex: p.seedIndex, scalarGrad: p.scalarGrad })),
        },
        this.metadata(),
        { deadline: Date.now() + this.options.callTimeoutMs },
        (err: ServiceError | null, res?: ReportRoundScalarsResponse) => (err ? reject(err) : resolve(res!)),
      ),
    );
  }

  async distributionFor(storeRound: number): Promise<Float64Array | undefined> {
    const res = await new Promise<GetSeedDistributionResponse>((resolve, reject) =>
      this.client.getSeedDistribution(
        { round: apiRound(storeRound), numCandidateSeeds: this.options.numCandidateSeeds },
        this.metadata(),
        { deadline: Date.now() + this.options.callTimeoutMs },
        (err: ServiceError | null, r?: GetSeedDistributionResponse) => (err ? reject(err) : resolve(r!)),
      ),
    );
    if (res.distribution?.$case !== 'importance') return undefined;
    const probabilities = Float64Array.from(res.distribution.importance.probabilities);
    if (probabilities.length !== this.options.numCandidateSeeds)
      throw new Error(
        `seed-probability service sent ${probabilities.length} probabilities for K = ${this.options.numCandidateSeeds}`,
      );
    return probabilities;
  }
}
