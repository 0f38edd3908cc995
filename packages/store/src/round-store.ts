/**
 * The round-state store of a FedKSeed run (Qin et al. 2024, Algorithm 1): who may upload in which round,
 * what they uploaded, and the accumulated scalar vector A with its version (the number of closed rounds).
 *
 * Lifecycle of round r (r is always the current version when it opens):
 *
 *   openRound(r) -> collecting --acceptUpload*--> beginClose -> closing --commitClose--> closed, version r + 1
 *
 * Closing has two phases so that nothing accepted is lost and nothing is counted twice: `beginClose` stops
 * uploads and leases the round to one closer; that closer reads the uploads, computes the new A with the
 * pure `aggregateRound` of @fedkseed/zo, and `commitClose` writes it only if it still holds the lease and the
 * round is still closing. A second commit of the same round fails ALREADY_CLOSED and changes nothing.
 *
 * Every method is atomic. Every failure is a typed `StoreError` (see errors.ts) and leaves the state exactly
 * as it was. Every method but `initRun`, `getRun`, `dump` and `close` fails RUN_NOT_INITIALIZED before
 * `initRun`.
 */
import type { ModelFingerprint, RunConfigInput, ScalarGradient } from '@fedkseed/zo';

import type { StoredRunConfig } from './run-config';

export interface InitRunResult {
  /** 'created' the first time, 'existing' when the same configuration was already stored. */
  status: 'created' | 'existing';
  run: StoredRunConfig;
}

export interface ClientRegistration {
  /** Stable client id: 1..256 characters of valid Unicode. */
  clientId: string;
  /** Local data size n_c (an integer >= 1), the client's weight under 'data-size' weighting. */
  numExamples: number;
  /** Human-readable name for dashboards. */
  displayName?: string;
  /**
   * Trained through the run's job queue: the aggregator enqueues a job for it in every round that selects it.
   * Stored only when true (a registration without it and one with `false` are the same record).
   */
  queueFed?: boolean;
}

/** A registered client. Registrations are immutable: re-registering with other fields fails CLIENT_CONFLICT. */
export type ClientRecord = Readonly<ClientRegistration>;

/** The join secret a registration came with, and the most distinct clients that secret may admit in all. */
export interface RegistrationAdmission {
  /** The join secret's name (never the secret): [A-Za-z0-9._-], 1..64 characters. */
  joinSecret: string;
  /** An integer >= 0. */
  maxRegistrations: number;
  /** The most clients the run registers, whatever admitted them: an integer >= 0. @default no bound */
  maxClients?: number;
}

export interface RegisterClientResult {
  status: 'registered' | 'unchanged';
  client: ClientRecord;
}

export type RoundStatus = 'collecting' | 'closing' | 'closed';

export interface OpenRoundInput {
  /** Must equal the current version, and no round may be open. */
  round: number;
  /** Selected client ids; all registered, no repeats, at least one. Stored sorted. */
  participants: readonly string[];
  /** Uploads are refused after this instant (Unix epoch ms, inclusive). */
  deadlineMs: number;
  /** The uint64 seed the round's seed sampling derives from. */
  samplingSeed: bigint;
  /** FedKSeed-Pro: the round's seed distribution (length K), stored bit-exact. */
  probabilities?: Float64Array;
}

/**
 * Rounds behind the one being opened whose participants and uploads are deleted: when round r opens, those of
 * round r - PRUNE_LAG go (their counts stay). A round keeps them while it collects and closes, and while the
 * next one collects, long enough for a repeated seed-statistics report and for a client retrying an upload
 * to learn it counted; after that a retry gets ROUND_CLOSED. Without this a run's store grows by every upload
 * of every round (about 16 MB a round at 10,000 clients of 200 pairs).
 */
export const PRUNE_LAG = 2;

export interface RoundInfo {
  round: number;
  status: RoundStatus;
  /** True once the round's participants and uploads were deleted (see PRUNE_LAG); the counts remain. */
  pruned: boolean;
  /** Sorted client ids; empty once pruned. */
  participants: string[];
  numParticipants: number;
  /** Uploads accepted so far (final once the round is closing). */
  numUploads: number;
  deadlineMs: number;
  samplingSeed: bigint;
  probabilities?: Float64Array;
  openedAtMs: number;
  /** The closer holding (or last holding) the lease; the committer once closed. */
  closerId?: string;
  leaseExpiresAtMs?: number;
  closedAtMs?: number;
}

/** The mutable summary of a round, read without its participant list or probabilities. */
export interface RoundStatusInfo {
  round: number;
  status: RoundStatus;
  pruned: boolean;
  deadlineMs: number;
  /** Uploads accepted so far (final once the round is closing). */
  numUploads: number;
  numParticipants: number;
}

export interface UploadInput {
  round: number;
  clientId: string;
  /** The client's (seedIndex, scalarGrad) pairs, in the order trained. Indices must fit in uint32; the
   *  scalars are stored as float32 (they are float32 on the wire). Range checks are the aggregator's. */
  pairs: readonly ScalarGradient[];
  /** Local steps actually taken (skipped steps make this differ from pairs.length). */
  numLocalSteps: number;
  /** Mean training loss over the local steps, for monitoring. */
  meanLoss: number;
}

export interface AcceptUploadResult {
  /** 'duplicate' when the same client already uploaded the same pairs, bit for bit, for the round. */
  status: 'accepted' | 'duplicate';
  /** Uploads accepted for the round so far, for quorum checks. */
  numUploads: number;
  numParticipants: number;
}

/**
 * A model fingerprint as a client reported it (@fedkseed/zo modelFingerprint): a scheme of 1 to 64 characters
 * and 1 to 16 finite projections (fingerprintProblem).
 */
export type StoredFingerprint = ModelFingerprint;

/** An accepted upload as the closer sees it; `{ pairs, weight }` is a @fedkseed/zo `ClientUpload`. */
export interface StoredUpload {
  clientId: string;
  numExamples: number;
  /** The aggregation weight under the run's weighting: numExamples or 1. */
  weight: number;
  /** Scalars are exactly the float32 values stored. */
  pairs: ScalarGradient[];
  numLocalSteps: number;
  meanLoss: number;
}

export interface CloseLease {
  /** 'acquired' from collecting, 'renewed' by the holder, 'taken-over' from a closer whose lease expired. */
  status: 'acquired' | 'renewed' | 'taken-over';
  round: number;
  closerId: string;
  leaseExpiresAtMs: number;
}

/** A sparse change of A: ascending seed indices and the amounts added there. */
export interface AccumulatedDelta {
  seedIndices: Uint32Array;
  values: Float64Array;
}

export interface CommitCloseInput {
  round: number;
  closerId: string;
  /** The new A (length K), stored bit-exact. */
  accumulated: Float64Array;
  /** The round's change of A (new A minus old A where it changed), served to clients catching up. */
  delta: AccumulatedDelta;
}

export interface CommitCloseResult {
  /** The new version, round + 1. */
  version: number;
}

export interface AccumulatedSnapshot {
  /** Number of closed rounds. */
  version: number;
  /** A after those rounds (a copy). */
  accumulated: Float64Array;
}

export interface RoundDelta extends AccumulatedDelta {
  round: number;
}

export interface DeltasSince {
  fromVersion: number;
  /** The current version; `deltas` are rounds fromVersion .. toVersion - 1, in order. */
  toVersion: number;
  deltas: RoundDelta[];
}

/** FedKSeed-Pro importance statistics; `SeedImportance.fromState(sums, counts, ...)` rebuilds psi and p. */
export interface SeedStats {
  /** Running sum of |clip(g)| per seed, starting at |clip(gradInitial)|. */
  sums: Float64Array;
  /** Entries per seed, starting at 1. */
  counts: Float64Array;
  /** Highest round recorded, or null before any. */
  lastRound: number | null;
  roundsRecorded: number;
}

/** A round's FedKSeed-Pro seed distribution as the seed-probability service answered it. */
export interface StoredSeedDistribution {
  /** Rounds of statistics it was computed from. */
  roundsIncluded: number;
  /** p (length K), bit-exact; absent when the answer was uniform. */
  probabilities?: Float64Array;
}

/** Most rounds whose seed distributions are kept (the lowest round's goes first). */
export const SEED_DISTRIBUTIONS_KEPT = 64;

export interface RecordScalarsResult {
  status: 'recorded' | 'duplicate';
}

export interface RoundStore {
  /** Stores the run config once; the same config again returns it, a different one fails RUN_CONFIG_MISMATCH. */
  initRun(config: RunConfigInput): Promise<InitRunResult>;
  getRun(): Promise<StoredRunConfig | undefined>;

  /**
   * Idempotent for the same fields; other fields for a known id fail CLIENT_CONFLICT. With `admission`, a new
   * client fails CLIENT_LIMIT once the run has `maxClients` clients, and is counted against its join secret in
   * the same step, failing REGISTRATION_LIMIT once that secret has admitted `maxRegistrations` clients; a repeat
   * is neither refused nor counted again. The checks and the write are one atomic step, whatever the replicas.
   */
  registerClient(client: ClientRegistration, admission?: RegistrationAdmission): Promise<RegisterClientResult>;
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  /** Sorted. */
  listClientIds(): Promise<string[]>;
  countClients(): Promise<number>;

  /**
   * Fails STALE_VERSION unless round === version, ROUND_ALREADY_OPEN, UNKNOWN_CLIENT for a participant. In
   * the same step prunes round - PRUNE_LAG.
   */
  openRound(input: OpenRoundInput): Promise<RoundInfo>;
  getRound(round: number): Promise<RoundInfo | undefined>;
  /** `getRound`'s status, deadline and counts, read in O(1) (no participant list, no probabilities). */
  getRoundStatus(round: number): Promise<RoundStatusInfo | undefined>;
  /** Whether `clientId` is a participant of the round; false for an unknown or pruned round. */
  isParticipant(round: number, clientId: string): Promise<boolean>;
  /** Whether an upload of `clientId` is stored for the round; false for an unknown or pruned round. */
  hasUpload(round: number, clientId: string): Promise<boolean>;

  /**
   * One atomic step. A repeat with the same pairs, bit for bit, returns 'duplicate' and changes nothing whatever
   * the round's status and whatever its numLocalSteps and meanLoss; otherwise fails ROUND_NOT_OPEN, ROUND_CLOSED
   * (closing, closed or past the deadline), UNKNOWN_CLIENT, NOT_SELECTED or DUPLICATE_SUBMISSION (other pairs).
   */
  acceptUpload(input: UploadInput): Promise<AcceptUploadResult>;

  /** collecting -> closing with a lease; renews for the holder; takes over an expired lease; else LEASE_HELD. */
  beginClose(round: number, closerId: string, leaseMs: number): Promise<CloseLease>;
  /**
   * Every accepted upload of the round, sorted by clientId (UTF-16 code unit order). Final once closing.
   * Fails ROUND_PRUNED once the round was pruned.
   */
  readUploads(round: number): Promise<StoredUpload[]>;
  /**
   * Writes the new A and the round's delta, closes the round and advances the version, atomically, if the
   * round is closing and leased to `closerId` (an expired lease nobody took over still counts). Fails
   * ALREADY_CLOSED, LEASE_LOST, ROUND_NOT_CLOSING or STALE_VERSION otherwise.
   */
  commitClose(input: CommitCloseInput): Promise<CommitCloseResult>;

  /** Version and A read together. */
  getAccumulated(): Promise<AccumulatedSnapshot>;
  /** Deltas of rounds version .. current - 1; STALE_VERSION when `version` is ahead of the store. */
  getDeltasSince(version: number): Promise<DeltasSince>;

  /** Adds |clip(g)| and 1 per pair to the seed statistics, once per round (a repeat is 'duplicate'). */
  recordRoundScalars(round: number, pairs: readonly ScalarGradient[]): Promise<RecordScalarsResult>;
  getSeedStats(): Promise<SeedStats>;

  /**
   * Keeps `answer` as round `round`'s seed distribution unless one is kept already, and returns the one kept (the
   * first answer of a round stands, across restarts and replicas of the seed-probability service). At most
   * SEED_DISTRIBUTIONS_KEPT rounds are kept: past that the lowest round's goes. Fails INVALID_ARGUMENT on a vector
   * that is not of length K.
   */
  keepSeedDistribution(round: number, answer: StoredSeedDistribution): Promise<StoredSeedDistribution>;
  /** The seed distribution kept for round `round`, if any. */
  getSeedDistribution(round: number): Promise<StoredSeedDistribution | undefined>;

  /**
   * Keeps `fingerprint` as the one of model version `version` unless one is kept already ('kept': the first
   * report stays). The version may be any not yet reached too. Fails INVALID_ARGUMENT on a malformed one.
   */
  recordFingerprint(version: number, fingerprint: StoredFingerprint): Promise<'recorded' | 'kept'>;
  /** The fingerprint kept for model version `version`, if any. */
  getFingerprint(version: number): Promise<StoredFingerprint | undefined>;

  /** Canonical, deterministic serialization of the whole run's state (the same format for every backend). */
  dump(): Promise<string>;
  /** Releases connections the store opened itself. */
  close(): Promise<void>;
  /** Resolves when the store answers (within its command deadline), rejects when it is unreachable. */
  ping(): Promise<void>;
}
