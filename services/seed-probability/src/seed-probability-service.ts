/**
 * fedkseed.v1.SeedProbabilityService (proto/fedkseed/v1/seed_probability_service.proto): FedKSeed-Pro seed
 * importance (Qin et al. 2024, section 3.3, Eq. 5-6). The statistics are running sums and counts of
 * |clip(g, -c, c)| per seed, kept in the store (recordRoundScalars, idempotent by round); the distribution
 * of a round is p = softmax(minmax(psi)), psi_i = sum_i / count_i, computed by @fedkseed/zo's
 * SeedImportance from them: O(K), a fraction of a millisecond at K = 4096.
 *
 * "The first call for a round fixes its answer": answers are kept per round (the last
 * DISTRIBUTION_CACHE_ROUNDS), so a repeated call, or one from another aggregator replica, gets the same
 * probabilities even if a later round was reported in between. The aggregator also stores the answer with
 * the round it opens, which is what makes the seeds of a round the same on every aggregator replica.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { Metadata } from '@grpc/grpc-js';
import {
  ErrorReason,
  bearerToken,
  type GetSeedDistributionRequest,
  type GetSeedDistributionResponse,
  type ReportRoundScalarsRequest,
  type ReportRoundScalarsResponse,
  type SeedProbabilityServiceServer,
} from '@fedkseed/proto';
import { type Logger } from '@fedkseed/process-kit';
import { ApiError, scalarPairProblem, unaryHandler } from '@fedkseed/service-kit';
import type { RoundStore, StoredSeedDistribution } from '@fedkseed/store';
import type { SeedStrategy } from '@fedkseed/zo';

import type { SeedDistributionMetrics } from './seed-distribution-metrics';

export interface SeedProbabilityServiceOptions {
  /** A store whose run (the service's own namespace) is initialized. */
  store: RoundStore;
  numCandidateSeeds: number;
  /** The run's seed strategy: the distribution of a round from the statistics (uniform serves uniform always). */
  strategy: SeedStrategy;
  /** Bearer token callers must present, if any. */
  serviceToken?: string;
  /** Rounds whose answers are kept. @default 64 */
  distributionCacheRounds?: number;
  logger: Logger;
  /** Where the distributions computed are measured. */
  metrics?: SeedDistributionMetrics;
}

export class SeedProbabilityService {
  private readonly store: RoundStore;
  private readonly numCandidateSeeds: number;
  private readonly logger: Logger;
  private readonly tokenDigest: Buffer | undefined;
  private readonly cacheRounds: number;
  /** round -> the answer that round got first (insertion order = age). */
  private readonly answers = new Map<number, GetSeedDistributionResponse>();

  constructor(private readonly options: SeedProbabilityServiceOptions) {
    this.store = options.store;
    this.numCandidateSeeds = options.numCandidateSeeds;
    this.logger = options.logger;
    this.tokenDigest = options.serviceToken === undefined ? undefined : sha256(options.serviceToken);
    this.cacheRounds = options.distributionCacheRounds ?? 64;
  }

  implementation(): SeedProbabilityServiceServer {
    return {
      getSeedDistribution: unaryHandler(this.logger, (req: GetSeedDistributionRequest, ctx) =>
        this.getSeedDistribution(req, ctx.metadata),
      ),
      reportRoundScalars: unaryHandler(this.logger, (req: ReportRoundScalarsRequest, ctx) =>
        this.reportRoundScalars(req, ctx.metadata),
      ),
    };
  }

  async getSeedDistribution(
    request: GetSeedDistributionRequest,
    metadata: Metadata,
  ): Promise<GetSeedDistributionResponse> {
    this.authenticate(metadata);
    this.checkRequest(request.round, request.numCandidateSeeds);
    const known = this.answers.get(request.round);
    if (known) return known;
    // The round's first answer is kept in the store, so that it holds across restarts and replicas.
    const kept =
      (await this.store.getSeedDistribution(request.round)) ??
      (await this.store.keepSeedDistribution(request.round, await this.compute()));
    const answer = responseOf(request.round, kept);
    this.answers.set(request.round, answer);
    while (this.answers.size > this.cacheRounds) this.answers.delete(this.answers.keys().next().value!);
    return answer;
  }

  async reportRoundScalars(
    request: ReportRoundScalarsRequest,
    metadata: Metadata,
  ): Promise<ReportRoundScalarsResponse> {
    this.authenticate(metadata);
    this.checkRequest(request.round, request.numCandidateSeeds);
    // The whole request is checked before anything is recorded.
    const pairs = request.scalarGradients;
    for (let position = 0; position < pairs.length; position++) {
      const problem = scalarPairProblem(position, pairs[position], this.numCandidateSeeds);
      if (problem) throw problem;
    }
    const { status } = await this.store.recordRoundScalars(request.round, pairs);
    const duplicate = status === 'duplicate';
    this.logger.info(duplicate ? 'round scalars already recorded' : 'round scalars recorded', {
      round: request.round,
      scalars: pairs.length,
    });
    return { duplicate, acceptedScalarCount: duplicate ? 0 : pairs.length };
  }

  /** The distribution from the statistics as they are now. */
  private async compute(): Promise<StoredSeedDistribution> {
    const stats = await this.store.getSeedStats();
    const probabilities = this.options.strategy.roundDistribution(stats);
    this.options.metrics?.onDistribution(probabilities, this.numCandidateSeeds, stats.roundsRecorded);
    return probabilities
      ? { roundsIncluded: stats.roundsRecorded, probabilities }
      : { roundsIncluded: stats.roundsRecorded };
  }

  private checkRequest(round: number, numCandidateSeeds: number): void {
    if (numCandidateSeeds !== this.numCandidateSeeds)
      throw new ApiError(
        ErrorReason.ERROR_REASON_CANDIDATE_SEEDS_MISMATCH,
        `K = ${numCandidateSeeds} in the request, the service has K = ${this.numCandidateSeeds}`,
        { num_candidate_seeds: numCandidateSeeds, expected: this.numCandidateSeeds },
      );
    if (round < 1)
      throw new ApiError(ErrorReason.ERROR_REASON_INVALID_FIELD, 'rounds count from 1', { field: 'round' });
  }

  private authenticate(metadata: Metadata): void {
    if (!this.tokenDigest) return;
    const token = bearerToken(metadata);
    if (token === undefined || !timingSafeEqual(sha256(token), this.tokenDigest))
      throw new ApiError(ErrorReason.ERROR_REASON_BAD_TOKEN, 'missing or wrong service token');
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function responseOf(round: number, kept: StoredSeedDistribution): GetSeedDistributionResponse {
  return {
    round,
    roundsIncluded: kept.roundsIncluded,
    distribution: kept.probabilities
      ? { $case: 'importance', importance: { probabilities: Array.from(kept.probabilities) } }
      : { $case: 'uniform', uniform: {} },
  };
}
