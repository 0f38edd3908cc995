/**
 * The one conformance suite every RoundStore backend must pass (run by in-memory-round-store.test.ts and
 * redis-round-store.test.ts). Every refused operation is checked to leave the state byte-identical.
 */
import {
  aggregateRound,
  RUN_CONFIG_DEFAULTS,
  SeedImportance,
  type ClientUpload,
  type RunConfigInput,
  type ScalarGradient,
} from '@fedkseed/zo';

import { InMemoryRoundStore, isStoreError, PRUNE_LAG, SEED_DISTRIBUTIONS_KEPT, type RoundStore } from '../src';
import {
  asFloat32,
  bits,
  closeRound,
  expectFailure,
  expectNoChange,
  FakeClock,
  randomPairs,
  rng,
  type ConformanceFactory,
  type ConformanceHarness,
} from './conformance-helpers';

export { type ConformanceFactory, type ConformanceHarness } from './conformance-helpers';

const K = 64;
const TAU = 8;
const RUN: RunConfigInput = { runId: 'conformance', runSeed: 42n, numCandidateSeeds: K, numLocalSteps: TAU };
const CLIENTS = [
  { clientId: 'c1', numExamples: 10 },
  { clientId: 'c2', numExamples: 30, displayName: 'Client two' },
  { clientId: 'c3', numExamples: 5, queueFed: true },
  { clientId: 'c4', numExamples: 55, displayName: 'Client four', queueFed: true },
  { clientId: 'c5', numExamples: 1 },
];

export function roundStoreConformance(backend: string, factory: ConformanceFactory): void {
  describe(`RoundStore conformance: ${backend}`, () => {
    let clock: FakeClock;
    let h: ConformanceHarness;
    let store: RoundStore;

    beforeEach(async () => {
      clock = new FakeClock();
      h = await factory(clock.now);
      store = h.store;
    });
    afterEach(async () => {
      await h.dispose();
    });

    async function setUp(config: Partial<RunConfigInput> = {}): Promise<void> {
      await store.initRun({ ...RUN, ...config });
      for (const c of CLIENTS) await store.registerClient(c);
    }

    async function open(round: number, participants = ['c1', 'c2', 'c3', 'c4'], deadlineInMs = 60_000) {
      return store.openRound({ round, participants, deadlineMs: clock.nowMs + deadlineInMs, samplingSeed: 7n });
    }

    const upload = (round: number, clientId: string, pairs: ScalarGradient[], meanLoss = 1.5) =>
      store.acceptUpload({ round, clientId, pairs, numLocalSteps: pairs.length, meanLoss });

    describe('run config', () => {
      it('refuses everything but initRun before the run exists, changing nothing', async () => {
        expect(await store.getRun()).toBeUndefined();
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => store.registerClient(CLIENTS[0]));
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => open(0));
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => upload(0, 'c1', []));
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => store.beginClose(0, 'a', 1000));
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => store.getAccumulated());
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => store.recordRoundScalars(0, []));
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () => store.listClientIds());
      });

      it('stores the config once, fills defaults, and refuses a different one', async () => {
        const identity = { runId: 'run-config', runSeed: 2n ** 64n - 1n };
        const created = await store.initRun({ ...identity, seedSampling: 'importance' });
        expect(created.status).toBe('created');
        expect(created.run).toEqual({
          ...RUN_CONFIG_DEFAULTS,
          ...identity,
          seedSampling: 'importance',
          createdAtMs: clock.nowMs,
        });
        clock.advance(5000);
        const again = await expectNoChange(h, () =>
          h.replica.initRun({ ...identity, seedSampling: 'importance', numLocalSteps: 200, numRounds: undefined }),
        );
        expect(again).toEqual({ status: 'existing', run: created.run });
        expect(await h.replica.getRun()).toEqual(created.run);
        await expectFailure(h, 'RUN_CONFIG_MISMATCH', () =>
          store.initRun({ ...identity, seedSampling: 'importance', zoLr: 1e-6 }),
        );
        // Every field is pinned, not only the algorithm's: a replica told of another round count is refused too.
        await expectFailure(h, 'RUN_CONFIG_MISMATCH', () =>
          store.initRun({ ...identity, seedSampling: 'importance', numRounds: 5 }),
        );
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.initRun({ runId: 'run-config', runSeed: -1n, numCandidateSeeds: 0 }),
        );
        expect((await store.getAccumulated()).accumulated).toEqual(new Float64Array(4096));
      });
    });

    describe('clients', () => {
      it('registers idempotently and refuses a conflicting registration', async () => {
        await setUp();
        expect(await store.registerClient(CLIENTS[1])).toEqual({ status: 'unchanged', client: CLIENTS[1] });
        await expectFailure(h, 'CLIENT_CONFLICT', () => store.registerClient({ clientId: 'c1', numExamples: 11 }));
        await expectFailure(h, 'CLIENT_CONFLICT', () => store.registerClient({ ...CLIENTS[0], displayName: 'x' }));
        await expectFailure(h, 'INVALID_ARGUMENT', () => store.registerClient({ clientId: 'c9', numExamples: 0 }));
        await expectFailure(h, 'INVALID_ARGUMENT', () => store.registerClient({ clientId: '', numExamples: 1 }));
        expect(await h.replica.getClient('c2')).toEqual(CLIENTS[1]);
        expect(await store.getClient('nobody')).toBeUndefined();
        expect(await store.listClientIds()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
        expect(await store.countClients()).toBe(5);
      });

      it('counts the clients each join secret admits, once per client, on any replica, up to its bound', async () => {
        await store.initRun(RUN);
        const cohort = { joinSecret: 'cohort-a', maxRegistrations: 2 };
        expect((await store.registerClient(CLIENTS[0], cohort)).status).toBe('registered');
        // A repeat (a retried registration) is not counted again, whichever join secret it comes with.
        expect((await h.replica.registerClient(CLIENTS[0], cohort)).status).toBe('unchanged');
        expect((await store.registerClient(CLIENTS[0], { joinSecret: 'other', maxRegistrations: 0 })).status).toBe(
          'unchanged',
        );
        expect((await h.replica.registerClient(CLIENTS[1], cohort)).status).toBe('registered');
        await expectFailure(h, 'REGISTRATION_LIMIT', () => store.registerClient(CLIENTS[2], cohort));
        await expectFailure(h, 'REGISTRATION_LIMIT', () =>
          h.replica.registerClient(CLIENTS[2], { ...cohort, maxRegistrations: 1 }),
        );
        // Another secret has its own count; none at all counts nothing.
        expect((await store.registerClient(CLIENTS[2], { joinSecret: 'cohort-b', maxRegistrations: 1 })).status).toBe(
          'registered',
        );
        expect((await store.registerClient(CLIENTS[3])).status).toBe('registered');
        await expectFailure(h, 'CLIENT_CONFLICT', () =>
          store.registerClient({ ...CLIENTS[0], numExamples: 99 }, { joinSecret: 'cohort-b', maxRegistrations: 9 }),
        );
        for (const bad of [
          { joinSecret: 'has space', maxRegistrations: 1 },
          { joinSecret: 'cohort-a', maxRegistrations: -1 },
          { joinSecret: 'cohort-a', maxRegistrations: 1.5 },
        ])
          await expectFailure(h, 'INVALID_ARGUMENT', () => store.registerClient(CLIENTS[4], bad));
        expect(JSON.parse(await store.dump()).joinSecrets).toEqual([
          ['cohort-a', 2],
          ['cohort-b', 1],
        ]);
        expect(await store.countClients()).toBe(4);
      });

      it('registers at most maxClients clients, atomically across replicas; a repeat at the bound is not refused', async () => {
        await store.initRun(RUN);
        const bounded = { joinSecret: 'cohort-a', maxRegistrations: 100, maxClients: 3 };
        // Registrations racing on both replicas: exactly the bound gets in, the rest fail CLIENT_LIMIT.
        const ids = Array.from({ length: 12 }, (_, i) => `racer-${i}`);
        const outcomes = await Promise.allSettled(
          ids.map((clientId, i) => (i % 2 ? h.replica : store).registerClient({ clientId, numExamples: 1 }, bounded)),
        );
        const registered = outcomes.filter((o) => o.status === 'fulfilled');
        expect(registered).toHaveLength(3);
        for (const o of outcomes)
          if (o.status === 'rejected') expect(isStoreError(o.reason, 'CLIENT_LIMIT')).toBe(true);
        expect(await store.countClients()).toBe(3);
        // Only the clients admitted are counted against the join secret.
        expect(JSON.parse(await store.dump()).joinSecrets).toEqual([['cohort-a', 3]]);
        const inside = (await store.listClientIds())[0];
        expect((await h.replica.registerClient({ clientId: inside, numExamples: 1 }, bounded)).status).toBe(
          'unchanged',
        );
        await expectFailure(h, 'CLIENT_LIMIT', () => store.registerClient(CLIENTS[0], bounded));
        expect((await store.registerClient(CLIENTS[0], { ...bounded, maxClients: 4 })).status).toBe('registered');
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.registerClient(CLIENTS[1], { ...bounded, maxClients: -1 }),
        );
      });

      it('keeps queueFed in the record only when true; another value for a known id conflicts', async () => {
        await setUp();
        expect(await h.replica.getClient('c3')).toEqual({ clientId: 'c3', numExamples: 5, queueFed: true });
        expect(await h.replica.getClient('c4')).toEqual(CLIENTS[3]);
        // The canonical record's field order is fixed, whatever order the caller wrote the fields in.
        expect(JSON.stringify(await h.replica.getClient('c4'))).toBe(
          '{"clientId":"c4","numExamples":55,"displayName":"Client four","queueFed":true}',
        );
        expect(await store.registerClient({ clientId: 'c6', numExamples: 2, queueFed: false })).toEqual({
          status: 'registered',
          client: { clientId: 'c6', numExamples: 2 },
        });
        expect(await h.replica.getClient('c6')).toEqual({ clientId: 'c6', numExamples: 2 });
        expect((await store.registerClient({ clientId: 'c6', numExamples: 2 })).status).toBe('unchanged');
        expect((await store.registerClient({ queueFed: true, numExamples: 5, clientId: 'c3' })).status).toBe(
          'unchanged',
        );
        await expectFailure(h, 'CLIENT_CONFLICT', () =>
          store.registerClient({ clientId: 'c6', numExamples: 2, queueFed: true }),
        );
        await expectFailure(h, 'CLIENT_CONFLICT', () => store.registerClient({ clientId: 'c3', numExamples: 5 }));
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.registerClient({ clientId: 'c7', numExamples: 1, queueFed: 'yes' as unknown as boolean }),
        );
      });
    });

    describe('rounds', () => {
      it('opens only the current round, once, for registered participants', async () => {
        await setUp();
        await expectFailure(h, 'STALE_VERSION', () => open(1));
        await expectFailure(h, 'UNKNOWN_CLIENT', () => open(0, ['c1', 'ghost']));
        await expectFailure(h, 'INVALID_ARGUMENT', () => open(0, ['c1', 'c1']));
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.openRound({
            round: 0,
            participants: ['c1'],
            deadlineMs: 1,
            samplingSeed: 1n,
            probabilities: new Float64Array(3),
          }),
        );
        const probabilities = Float64Array.from({ length: K }, (_, i) => (i + 1) / 3 - 1e-17 * i);
        const info = await store.openRound({
          round: 0,
          participants: ['c3', 'c1', 'c2'],
          deadlineMs: clock.nowMs + 1000,
          samplingSeed: 2n ** 63n + 5n,
          probabilities,
        });
        expect(info).toEqual({
          round: 0,
          status: 'collecting',
          pruned: false,
          participants: ['c1', 'c2', 'c3'],
          numParticipants: 3,
          numUploads: 0,
          deadlineMs: clock.nowMs + 1000,
          samplingSeed: 2n ** 63n + 5n,
          probabilities,
          openedAtMs: clock.nowMs,
        });
        expect(await h.replica.getRound(0)).toEqual(info);
        expect(bits((await store.getRound(0))!.probabilities!)).toBe(bits(probabilities));
        expect(await store.getRound(1)).toBeUndefined();
        await expectFailure(h, 'ROUND_ALREADY_OPEN', () => open(0));
        await expectFailure(h, 'STALE_VERSION', () => open(1));
        expect(await closeRound(store, 0, 'a')).toBe('committed');
        await expectFailure(h, 'STALE_VERSION', () => open(0));
      });
    });

    describe('round status reads', () => {
      it('getRoundStatus, isParticipant and hasUpload agree with getRound and readUploads', async () => {
        await setUp();
        expect(await store.getRoundStatus(0)).toBeUndefined();
        expect(await store.isParticipant(0, 'c1')).toBe(false);
        expect(await store.hasUpload(0, 'c1')).toBe(false);
        await open(0, ['c3', 'c1', 'c2']);
        await upload(0, 'c2', randomPairs(rng(3), TAU, K));
        const summary = (info: Awaited<ReturnType<RoundStore['getRound']>>) =>
          info && {
            round: info.round,
            status: info.status,
            pruned: info.pruned,
            deadlineMs: info.deadlineMs,
            numUploads: info.numUploads,
            numParticipants: info.numParticipants,
          };
        const info = await store.getRound(0);
        const status = await h.replica.getRoundStatus(0);
        expect(status).toEqual(summary(info));
        expect(status).toEqual({
          round: 0,
          status: 'collecting',
          pruned: false,
          deadlineMs: clock.nowMs + 60_000,
          numUploads: 1,
          numParticipants: 3,
        });
        for (const c of CLIENTS) {
          expect(await h.replica.isParticipant(0, c.clientId)).toBe(info!.participants.includes(c.clientId));
          expect(await h.replica.hasUpload(0, c.clientId)).toBe(c.clientId === 'c2');
        }
        expect(await store.isParticipant(0, 'nobody')).toBe(false);
        expect(await store.hasUpload(0, 'c4')).toBe(false);
        expect(await store.isParticipant(1, 'c1')).toBe(false);
        expect(await store.hasUpload(1, 'c2')).toBe(false);
        expect(await store.getRoundStatus(1)).toBeUndefined();
        await store.beginClose(0, 'a', 1000);
        expect(await store.getRoundStatus(0)).toEqual(summary(await store.getRound(0)));
        expect((await store.getRoundStatus(0))?.status).toBe('closing');
        expect(await closeRound(store, 0, 'a')).toBe('committed');
        expect(await store.getRoundStatus(0)).toEqual(summary(await h.replica.getRound(0)));
        expect((await store.getRoundStatus(0))?.status).toBe('closed');
        expect(await store.hasUpload(0, 'c2')).toBe(true);
      });
    });

    describe('fingerprints', () => {
      it('keeps the first fingerprint reported per model version, and refuses malformed ones unchanged', async () => {
        await expectFailure(h, 'RUN_NOT_INITIALIZED', () =>
          store.recordFingerprint(0, { scheme: 'x', projections: Float64Array.of(1) }),
        );
        await setUp();
        expect(await store.getFingerprint(0)).toBeUndefined();
        const first = { scheme: 'philox-proj-v1', projections: Float64Array.of(0.125, -3.5, 1e-300, -0) };
        expect(await store.recordFingerprint(0, first)).toBe('recorded');
        const got = await h.replica.getFingerprint(0);
        expect(got?.scheme).toBe(first.scheme);
        expect(bits(got!.projections)).toBe(bits(first.projections));
        const second = { scheme: 'philox-proj-v1', projections: Float64Array.of(1, 2, 3, 4) };
        expect(await expectNoChange(h, () => h.replica.recordFingerprint(0, second))).toBe('kept');
        expect(bits((await store.getFingerprint(0))!.projections)).toBe(bits(first.projections));
        expect(await store.recordFingerprint(7, second)).toBe('recorded'); // a version not reached yet
        expect(await store.getFingerprint(1)).toBeUndefined();
        for (const bad of [
          { scheme: '', projections: Float64Array.of(1) },
          { scheme: 'x'.repeat(65), projections: Float64Array.of(1) },
          { scheme: 'x', projections: new Float64Array(0) },
          { scheme: 'x', projections: new Float64Array(17) },
          { scheme: 'x', projections: Float64Array.of(1, NaN) },
          { scheme: 'x', projections: Float64Array.of(Infinity) },
        ])
          await expectFailure(h, 'INVALID_ARGUMENT', () => store.recordFingerprint(2, bad));
        await expectFailure(h, 'INVALID_ARGUMENT', () => store.recordFingerprint(-1, first));
        // Both recorded fingerprints are what a fresh reader sees (the refusals above left the store unchanged).
        expect(bits((await h.replica.getFingerprint(0))!.projections)).toBe(bits(first.projections));
        expect(bits((await h.replica.getFingerprint(7))!.projections)).toBe(bits(second.projections));
      });
    });

    describe('seed distributions', () => {
      it("keeps each round's first answer, bit-exact, for SEED_DISTRIBUTIONS_KEPT rounds", async () => {
        await setUp();
        expect(await store.getSeedDistribution(1)).toBeUndefined();
        const first = Float64Array.from({ length: K }, (_, i) => (i + 1) / ((K * (K + 1)) / 2));
        const kept = await store.keepSeedDistribution(1, { roundsIncluded: 3, probabilities: first });
        expect(kept.roundsIncluded).toBe(3);
        expect(bits(kept.probabilities!)).toBe(bits(first));
        // A later answer for the same round (another replica, or after a restart) gets the first one back.
        const later = Float64Array.from({ length: K }, () => 1 / K);
        const again = await expectNoChange(h, () =>
          h.replica.keepSeedDistribution(1, { roundsIncluded: 4, probabilities: later }),
        );
        expect({ roundsIncluded: again.roundsIncluded, p: bits(again.probabilities!) }).toEqual({
          roundsIncluded: 3,
          p: bits(first),
        });
        expect(await h.replica.keepSeedDistribution(2, { roundsIncluded: 0 })).toEqual({ roundsIncluded: 0 });
        expect(await store.getSeedDistribution(2)).toEqual({ roundsIncluded: 0 });
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.keepSeedDistribution(3, { roundsIncluded: 1, probabilities: new Float64Array(K + 1) }),
        );
        // At most SEED_DISTRIBUTIONS_KEPT rounds: the lowest goes first, whatever the rounds asked.
        for (let j = 0; j < SEED_DISTRIBUTIONS_KEPT - 2; j++)
          await store.keepSeedDistribution(1000 + j * 1000, { roundsIncluded: 5 });
        expect(await h.replica.getSeedDistribution(1)).toBeDefined();
        expect(await store.keepSeedDistribution(0xffffffff, { roundsIncluded: 6 })).toEqual({ roundsIncluded: 6 });
        expect(await h.replica.getSeedDistribution(1)).toBeUndefined();
        expect(await h.replica.getSeedDistribution(2)).toEqual({ roundsIncluded: 0 });
        // A round below every kept one is answered (what was asked comes back) but not kept.
        expect(await store.keepSeedDistribution(1, { roundsIncluded: 7 })).toEqual({ roundsIncluded: 7 });
        expect(await h.replica.getSeedDistribution(1)).toBeUndefined();
      });
    });

    describe('pruning', () => {
      it('deletes the participants and uploads of round r - PRUNE_LAG when round r opens, keeping the counts', async () => {
        expect(PRUNE_LAG).toBe(2);
        await setUp();
        const pairs = randomPairs(rng(8), TAU, K);
        await open(0, ['c1', 'c2', 'c3']);
        await upload(0, 'c1', pairs);
        await upload(0, 'c2', randomPairs(rng(9), TAU, K));
        expect(await closeRound(store, 0, 'a')).toBe('committed');
        await open(1, ['c1', 'c2']);
        await upload(1, 'c1', pairs);
        expect(await closeRound(store, 1, 'a')).toBe('committed');
        // Round 0 is still whole while round 1 is the newest: a repeat of an upload still learns it counted.
        expect((await store.getRound(0))!.pruned).toBe(false);
        expect(await store.readUploads(0)).toHaveLength(2);
        expect((await upload(0, 'c1', pairs)).status).toBe('duplicate');

        clock.nowMs += 5_000;
        await open(2, ['c1']);
        const pruned = await h.replica.getRound(0);
        expect(pruned).toMatchObject({
          round: 0,
          status: 'closed',
          pruned: true,
          participants: [],
          numParticipants: 3,
          numUploads: 2,
        });
        expect(await store.getRoundStatus(0)).toEqual({
          round: 0,
          status: 'closed',
          pruned: true,
          deadlineMs: pruned!.deadlineMs,
          numUploads: 2,
          numParticipants: 3,
        });
        await expectFailure(h, 'ROUND_PRUNED', () => store.readUploads(0));
        await expectFailure(h, 'ROUND_CLOSED', () => upload(0, 'c1', pairs));
        expect(await store.isParticipant(0, 'c1')).toBe(false);
        expect(await store.hasUpload(0, 'c1')).toBe(false);
        // Round 1 keeps everything until round 3 opens; the deltas, which catch-ups need, are never pruned.
        expect((await store.getRound(1))!.pruned).toBe(false);
        expect(await store.readUploads(1)).toHaveLength(1);
        expect((await store.getDeltasSince(0)).deltas).toHaveLength(2);
      });
    });

    describe('uploads', () => {
      it('keeps float32 scalars and uint32 indices bit-exact, in clientId order with weights', async () => {
        await setUp();
        await open(0);
        const tricky = [1 / 3, -0, 1.401298464324817e-45, 3.4028234663852886e38, -Infinity, NaN, 1e-40, 2 ** -149];
        const pairsC2 = tricky.map((g, j) => ({ seedIndex: j === 0 ? 0xffffffff : j, scalarGrad: g }));
        const pairsC1 = [{ seedIndex: 3, scalarGrad: 0.1 }];
        await store.acceptUpload({ round: 0, clientId: 'c2', pairs: pairsC2, numLocalSteps: 9, meanLoss: 0.1 + 0.2 });
        await store.acceptUpload({ round: 0, clientId: 'c1', pairs: pairsC1, numLocalSteps: 1, meanLoss: -0 });
        const uploads = await h.replica.readUploads(0);
        expect(uploads.map((u) => [u.clientId, u.numExamples, u.weight, u.numLocalSteps])).toEqual([
          ['c1', 10, 10, 1],
          ['c2', 30, 30, 9],
        ]);
        expect(Object.is(uploads[0].meanLoss, -0)).toBe(true);
        expect(uploads[1].meanLoss).toBe(0.1 + 0.2);
        const expected = asFloat32(pairsC2);
        uploads[1].pairs.forEach((p, j) => {
          expect(p.seedIndex).toBe(expected[j].seedIndex);
          expect(Object.is(p.scalarGrad, expected[j].scalarGrad)).toBe(true);
        });
        expect(uploads[0].pairs).toEqual(asFloat32(pairsC1));
        await expectFailure(h, 'INVALID_ARGUMENT', () => upload(0, 'c3', [{ seedIndex: -1, scalarGrad: 1 }]));
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.acceptUpload({ round: 0, clientId: 'c3', pairs: [], numLocalSteps: 1.5, meanLoss: 0 }),
        );
      });

      it('accepts a submission once: the same pairs again are a duplicate, other pairs are refused', async () => {
        await setUp();
        await open(0);
        const pairs = randomPairs(rng(1), TAU, K);
        expect(await upload(0, 'c1', pairs)).toEqual({ status: 'accepted', numUploads: 1, numParticipants: 4 });
        const repeat = await expectNoChange(h, () => upload(0, 'c1', pairs));
        expect(repeat).toEqual({ status: 'duplicate', numUploads: 1, numParticipants: 4 });
        // Equal once rounded to float32 (what is stored and what the wire carries): the same payload.
        const sameBits = pairs.map((p) => ({ ...p, scalarGrad: Math.fround(p.scalarGrad) }));
        expect(
          (
            await h.replica.acceptUpload({
              round: 0,
              clientId: 'c1',
              pairs: sameBits,
              numLocalSteps: TAU,
              meanLoss: 1.5,
            })
          ).status,
        ).toBe('duplicate');
        const other = pairs.map((p, j) => (j === 3 ? { ...p, scalarGrad: p.scalarGrad + 1 } : p));
        await expectFailure(h, 'DUPLICATE_SUBMISSION', () => upload(0, 'c1', other));
        // The API's duplicate is the same pairs: another mean loss or step count changes nothing and is not stored.
        const otherHeader = await expectNoChange(h, () =>
          h.replica.acceptUpload({ round: 0, clientId: 'c1', pairs, numLocalSteps: TAU + 3, meanLoss: 1.25 }),
        );
        expect(otherHeader.status).toBe('duplicate');
        expect((await h.replica.readUploads(0))[0]).toMatchObject({ numLocalSteps: TAU, meanLoss: 1.5 });
        await expectFailure(h, 'DUPLICATE_SUBMISSION', () => upload(0, 'c1', pairs.slice(1)));
        expect((await store.getRound(0))!.numUploads).toBe(1);
      });

      it('refuses unknown, unselected, unopened, late and closed submissions', async () => {
        await setUp();
        const pairs = randomPairs(rng(2), TAU, K);
        await expectFailure(h, 'ROUND_NOT_OPEN', () => upload(0, 'c1', pairs));
        await open(0, ['c1', 'c2', 'c3'], 10_000);
        await expectFailure(h, 'UNKNOWN_CLIENT', () => upload(0, 'ghost', pairs));
        await expectFailure(h, 'NOT_SELECTED', () => upload(0, 'c5', pairs));
        await expectFailure(h, 'ROUND_NOT_OPEN', () => upload(1, 'c1', pairs));
        clock.advance(10_000); // the deadline itself is still in time
        await upload(0, 'c1', pairs);
        await h.replica.beginClose(0, 'a', 60_000);
        await expectFailure(h, 'ROUND_CLOSED', () => upload(0, 'c2', pairs));
        expect((await expectNoChange(h, () => upload(0, 'c1', pairs))).status).toBe('duplicate');
        await expectFailure(h, 'DUPLICATE_SUBMISSION', () => upload(0, 'c1', pairs.slice(2)));
        await h.replica.readUploads(0).then((u) => expect(u.map((x) => x.clientId)).toEqual(['c1']));
        expect(await closeRound(h.replica, 0, 'a')).toBe('committed');
        await expectFailure(h, 'ROUND_CLOSED', () => upload(0, 'c2', pairs));
        expect((await upload(0, 'c1', pairs)).status).toBe('duplicate');

        await open(1, ['c1', 'c2'], 1000);
        clock.advance(1001);
        await expectFailure(h, 'ROUND_CLOSED', () => upload(1, 'c1', pairs));
      });
    });

    describe('closing', () => {
      it('over several rounds, A is aggregateRound applied round by round, and deltas replay it', async () => {
        await setUp();
        const random = rng(3);
        let reference: Float64Array = new Float64Array(K);
        const deltas: { seedIndices: Uint32Array; values: Float64Array }[] = [];
        for (let round = 0; round < 4; round++) {
          const participants = CLIENTS.map((c) => c.clientId).filter((_, j) => j !== round % 5);
          await open(round, participants);
          const reporting = participants.slice(0, 3); // the fourth misses the deadline: weights renormalize
          const uploads: ClientUpload[] = [];
          for (const clientId of [...reporting].reverse()) {
            const pairs = randomPairs(random, TAU, K);
            await upload(round, clientId, pairs);
            const weight = CLIENTS.find((c) => c.clientId === clientId)!.numExamples;
            uploads.push({ pairs: asFloat32(pairs), weight });
          }
          // Reference order: by client id, as readUploads returns them.
          uploads.reverse();
          const agg = aggregateRound(reference, uploads);
          reference = agg.accumulated;
          deltas.push({ seedIndices: agg.deltaSeedIndices, values: agg.deltaValues });
          expect(await closeRound(round % 2 ? h.replica : store, round, `closer-${round}`)).toBe('committed');
          const snapshot = await store.getAccumulated();
          expect(snapshot.version).toBe(round + 1);
          expect(bits(snapshot.accumulated)).toBe(bits(reference));
          const info = (await store.getRound(round))!;
          expect([info.status, info.numUploads, info.closerId, info.closedAtMs]).toEqual([
            'closed',
            3,
            `closer-${round}`,
            clock.nowMs,
          ]);
          clock.advance(1000);
        }
        for (let v = 0; v <= 4; v++) {
          const since = await h.replica.getDeltasSince(v);
          expect([since.fromVersion, since.toVersion]).toEqual([v, 4]);
          expect(since.deltas.map((d) => d.round)).toEqual([0, 1, 2, 3].slice(v));
          since.deltas.forEach((d) => {
            expect(d.seedIndices).toEqual(deltas[d.round].seedIndices);
            expect(bits(d.values)).toBe(bits(deltas[d.round].values));
          });
        }
        await expectFailure(h, 'STALE_VERSION', () => store.getDeltasSince(5));
      });

      it('weights every reporting client equally under equal weighting', async () => {
        await setUp({ aggregationWeighting: 'equal' });
        await open(0);
        const a = [{ seedIndex: 1, scalarGrad: 3 }];
        const b = [{ seedIndex: 1, scalarGrad: -1 }];
        await upload(0, 'c4', a);
        await upload(0, 'c1', b);
        expect((await store.readUploads(0)).map((u) => [u.clientId, u.weight])).toEqual([
          ['c1', 1],
          ['c4', 1],
        ]);
        expect(await closeRound(store, 0, 'a')).toBe('committed');
        expect((await store.getAccumulated()).accumulated[1]).toBe(1);
      });

      it('two closers racing close the round exactly once', async () => {
        await setUp();
        const random = rng(4);
        let reference: Float64Array = new Float64Array(K);
        for (let round = 0; round < 5; round++) {
          await open(round);
          const uploads: ClientUpload[] = [];
          for (const clientId of ['c1', 'c2', 'c4']) {
            const pairs = randomPairs(random, TAU, K);
            await upload(round, clientId, pairs);
            uploads.push({
              pairs: asFloat32(pairs),
              weight: CLIENTS.find((c) => c.clientId === clientId)!.numExamples,
            });
          }
          reference = aggregateRound(reference, uploads).accumulated;
          const outcomes = await Promise.all([closeRound(store, round, 'a'), closeRound(h.replica, round, 'b')]);
          expect(outcomes.filter((o) => o === 'committed')).toHaveLength(1);
          expect(['LEASE_HELD', 'ALREADY_CLOSED', 'LEASE_LOST']).toContain(outcomes.find((o) => o !== 'committed'));
          const snapshot = await store.getAccumulated();
          expect(snapshot.version).toBe(round + 1);
          expect(bits(snapshot.accumulated)).toBe(bits(reference));
        }
      });

      it('a retried commit racing itself commits once', async () => {
        await setUp();
        await open(0);
        await upload(0, 'c1', randomPairs(rng(5), TAU, K));
        await store.beginClose(0, 'a', 60_000);
        const agg = aggregateRound((await store.getAccumulated()).accumulated, await store.readUploads(0));
        const input = {
          round: 0,
          closerId: 'a',
          accumulated: agg.accumulated,
          delta: { seedIndices: agg.deltaSeedIndices, values: agg.deltaValues },
        };
        const results = await Promise.allSettled([store.commitClose(input), h.replica.commitClose(input)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(
          results.map((r) => (r.status === 'rejected' ? (r.reason as { reason: string }).reason : 'ok')).sort(),
        ).toEqual(['ALREADY_CLOSED', 'ok']);
        expect((await store.getAccumulated()).version).toBe(1);
        await expectFailure(h, 'ALREADY_CLOSED', () => store.commitClose(input));
        await expectFailure(h, 'ALREADY_CLOSED', () => h.replica.beginClose(0, 'b', 1000));
      });

      it('leases: held, renewed, expired and taken over; the replaced closer cannot commit', async () => {
        await setUp();
        await open(0);
        await upload(0, 'c1', randomPairs(rng(6), TAU, K));
        await upload(0, 'c2', randomPairs(rng(7), TAU, K));
        const zero = new Float64Array(K);
        const noDelta = { seedIndices: new Uint32Array(0), values: new Float64Array(0) };
        await expectFailure(h, 'ROUND_NOT_CLOSING', () =>
          store.commitClose({ round: 0, closerId: 'a', accumulated: zero, delta: noDelta }),
        );
        await expectFailure(h, 'ROUND_NOT_OPEN', () => store.beginClose(1, 'a', 1000));
        const t0 = clock.nowMs;
        expect(await store.beginClose(0, 'a', 1000)).toEqual({
          status: 'acquired',
          round: 0,
          closerId: 'a',
          leaseExpiresAtMs: t0 + 1000,
        });
        expect((await store.getRound(0))!).toMatchObject({
          status: 'closing',
          closerId: 'a',
          leaseExpiresAtMs: t0 + 1000,
        });
        await expectFailure(h, 'LEASE_HELD', () => h.replica.beginClose(0, 'b', 1000));
        clock.advance(999);
        await expectFailure(h, 'LEASE_HELD', () => h.replica.beginClose(0, 'b', 1000));
        expect((await store.beginClose(0, 'a', 1000)).status).toBe('renewed');
        clock.advance(1000); // now exactly at expiry: expired
        expect(await h.replica.beginClose(0, 'b', 5000)).toMatchObject({ status: 'taken-over', closerId: 'b' });
        await expectFailure(h, 'LEASE_HELD', () => store.beginClose(0, 'a', 1000));
        const uploads = await store.readUploads(0);
        const agg = aggregateRound(zero, uploads);
        const commit = (
          closerId: string,
          accumulated = agg.accumulated,
          delta = { seedIndices: agg.deltaSeedIndices, values: agg.deltaValues },
        ) => store.commitClose({ round: 0, closerId, accumulated, delta });
        await expectFailure(h, 'LEASE_LOST', () => commit('a'));
        await expectFailure(h, 'INVALID_ARGUMENT', () => commit('b', new Float64Array(K - 1)));
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          commit('b', agg.accumulated, { seedIndices: Uint32Array.of(2, 1), values: Float64Array.of(1, 1) }),
        );
        clock.advance(10_000); // b's lease expired but nobody took over: b may still commit
        expect(await commit('b')).toEqual({ version: 1 });
        expect(bits((await store.getAccumulated()).accumulated)).toBe(bits(agg.accumulated));
        await expectFailure(h, 'ALREADY_CLOSED', () => commit('b'));
        await expectFailure(h, 'ALREADY_CLOSED', () => commit('a'));
        await expectFailure(h, 'ALREADY_CLOSED', () => store.beginClose(0, 'a', 1000));
      });

      it('an empty round closes with A unchanged and an empty delta', async () => {
        await setUp();
        await open(0);
        expect(await closeRound(store, 0, 'a')).toBe('committed');
        const since = await store.getDeltasSince(0);
        expect(since.deltas).toEqual([{ round: 0, seedIndices: new Uint32Array(0), values: new Float64Array(0) }]);
        expect(await store.getDeltasSince(1)).toEqual({ fromVersion: 1, toVersion: 1, deltas: [] });
      });
    });

    describe('seed statistics', () => {
      it('start from gradInitial, add |clip(g)| once per round, and survive concurrent writers', async () => {
        await setUp({ seedSampling: 'importance', importanceClip: 2, importanceGradInitial: -0.5 });
        const reference = new SeedImportance(K, { clip: 2, gradInitial: -0.5 });
        const initial = await store.getSeedStats();
        expect([bits(initial.sums), bits(initial.counts), initial.lastRound, initial.roundsRecorded]).toEqual([
          bits(reference.sums),
          bits(reference.counts),
          null,
          0,
        ]);
        const round0 = [
          { seedIndex: 1, scalarGrad: 5 },
          { seedIndex: 1, scalarGrad: -3 },
          { seedIndex: 7, scalarGrad: 0.25 },
        ];
        expect(await store.recordRoundScalars(0, round0)).toEqual({ status: 'recorded' });
        for (const p of round0) reference.observe(p.seedIndex, p.scalarGrad);
        expect(
          await expectNoChange(h, () => h.replica.recordRoundScalars(0, [{ seedIndex: 2, scalarGrad: 1 }])),
        ).toEqual({
          status: 'duplicate',
        });
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.recordRoundScalars(1, [{ seedIndex: K, scalarGrad: 1 }]),
        );
        await expectFailure(h, 'INVALID_ARGUMENT', () =>
          store.recordRoundScalars(1, [{ seedIndex: 0, scalarGrad: NaN }]),
        );
        const random = rng(8);
        const later = [3, 1, 2, 4].map((round) => ({ round, pairs: randomPairs(random, TAU, K) }));
        await Promise.all(
          later.map(({ round, pairs }, j) => (j % 2 ? h.replica : store).recordRoundScalars(round, pairs)),
        );
        for (const { pairs } of later) for (const p of pairs) reference.observe(p.seedIndex, p.scalarGrad);
        const stats = await h.replica.getSeedStats();
        expect([stats.lastRound, stats.roundsRecorded]).toEqual([4, 5]);
        expect(stats.counts).toEqual(reference.counts);
        // Rounds may be added in another order than the reference's: sums agree to rounding.
        stats.sums.forEach((s, i) => expect(s).toBeCloseTo(reference.sums[i], 9));
      });
    });

    it('dumps the same history to the same text as the in-memory store', async () => {
      const shadowClock = new FakeClock(clock.nowMs);
      const shadow = new InMemoryRoundStore({ clock: shadowClock.now });
      for (const s of [store, shadow]) {
        await s.initRun({ ...RUN, seedSampling: 'importance' });
        for (const [i, c] of CLIENTS.entries())
          await s.registerClient(c, i % 2 ? { joinSecret: `cohort-${i % 3}`, maxRegistrations: 9 } : undefined);
        await s.openRound({ round: 0, participants: ['c1', 'c2'], deadlineMs: clock.nowMs + 10, samplingSeed: 3n });
        await s.acceptUpload({
          round: 0,
          clientId: 'c2',
          pairs: randomPairs(rng(9), 3, K),
          numLocalSteps: 3,
          meanLoss: 2,
        });
        expect(await closeRound(s, 0, 'x')).toBe('committed');
        await s.recordRoundScalars(
          0,
          (await s.readUploads(0)).flatMap((u) => u.pairs),
        );
        await s.openRound({
          round: 1,
          participants: ['c3'],
          deadlineMs: clock.nowMs + 10,
          samplingSeed: 4n,
          probabilities: new Float64Array(K).fill(1 / K),
        });
        await s.beginClose(1, 'y', 100);
        expect(await closeRound(s, 1, 'y')).toBe('committed');
        // Opening round 2 prunes round 0: the pruned state dumps alike too.
        await s.openRound({ round: 2, participants: ['c1'], deadlineMs: clock.nowMs + 10, samplingSeed: 5n });
        await s.recordFingerprint(1, { scheme: 'philox-proj-v1', projections: Float64Array.of(1.5, -2.25) });
      }
      expect(await store.dump()).toContain('"pruned": {');
      expect(await store.dump()).toBe(await shadow.dump());
    });
  });
}
