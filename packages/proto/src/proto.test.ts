import * as fs from 'node:fs';
import * as path from 'node:path';
import { credentials, type Metadata, Server, ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import {
  AggregationRule,
  AggregationWeighting,
  type AggregatorServiceServer,
  AggregatorServiceClient,
  AggregatorServiceService,
  bearerMetadata,
  bearerToken,
  ERROR_REASON_STATUS,
  ErrorDetail,
  errorDetailMetadata,
  ErrorReason,
  errorReasonToJSON,
  isKnownErrorReason,
  type KnownErrorReason,
  type GetRunStateResponse,
  GetTaskResponse,
  readErrorDetail,
  RoundStatus,
  RunStatus,
  SeedSampling,
  SubmitScalarGradientsRequest,
  TaskStatus,
} from './index';

import { K, TAU, randomPairs, rng } from '../test/random-pairs';

describe('SubmitScalarGradientsRequest on the wire', () => {
  it('round-trips 200 pairs bit for bit in about 2 KB', () => {
    const request: SubmitScalarGradientsRequest = {
      round: 1234,
      modelVersion: 1233,
      scalarGradients: randomPairs(TAU, 1),
      localStepsRun: TAU,
      skippedSteps: 0,
      meanLocalLoss: Math.fround(2.3456),
      trainDurationMs: 95_000,
    };
    const bytes = SubmitScalarGradientsRequest.encode(request).finish();
    expect(SubmitScalarGradientsRequest.decode(bytes)).toEqual(request);
    // Per pair: field tag + length (2) + seed index tag + varint (1 + 1..2) + float tag + 4 bytes = 9..10 bytes.
    console.log(`SubmitScalarGradientsRequest, ${TAU} pairs at K=${K}: ${bytes.length} bytes`);
    expect(bytes.length).toBeGreaterThan(TAU * 9);
    expect(bytes.length).toBeLessThanOrEqual(TAU * 10 + 32);
  });
});

describe('GetTaskResponse on the wire', () => {
  /** A catch-up of one round: the distinct seeds 10 clients x tau uniform draws touched. */
  function oneRoundDelta(): { indices: number[]; values: number[] } {
    const touched = new Set(randomPairs(10 * TAU, 2).map((p) => p.seedIndex));
    const indices = [...touched].sort((a, b) => a - b);
    const next = rng(3);
    return { indices, values: indices.map(() => Math.fround((next() - 0.5) * 4)) };
  }

  function task(catchUp: GetTaskResponse['catchUp']): GetTaskResponse {
    return {
      status: TaskStatus.TASK_STATUS_TRAIN,
      round: 1234,
      modelVersion: 1233,
      deadlineUnixMs: 1_767_225_600_000n,
      deadlineInMs: 300_000,
      retryAfterMs: 0,
      numLocalSteps: TAU,
      zoEps: 5e-4,
      zoLr: 3e-7,
      seedDistribution: {
        samplingSeed: 0xfedcba9876543210n,
        distribution: { $case: 'assigned', assigned: { seedIndices: randomPairs(TAU, 4).map((p) => p.seedIndex) } },
      },
      catchUp,
      fingerprint: { version: 1233, scheme: 'philox-proj-v1', projections: [0.125, -3.5, 17.25, 1e-3] },
    };
  }

  it('carries a sparse one-round catch-up in under 10 KB and decodes it exactly', () => {
    const { indices, values } = oneRoundDelta();
    const seedIndexGaps = indices.map((v, j) => (j === 0 ? v : v - indices[j - 1]));
    const response = task({
      fromVersion: 1232,
      toVersion: 1233,
      encoding: { $case: 'sparse', sparse: { seedIndexGaps, values } },
    });
    const bytes = GetTaskResponse.encode(response).finish();
    expect(GetTaskResponse.decode(bytes)).toEqual(response);
    console.log(
      `GetTaskResponse, sparse catch-up of ${indices.length} seeds + ${TAU} assigned seeds: ${bytes.length} bytes`,
    );
    expect(bytes.length).toBeLessThan(10_000);
  });

  it('carries a dense catch-up in K * 4 bytes plus the task', () => {
    const dense = new Array<number>(K).fill(0);
    const { indices, values } = oneRoundDelta();
    indices.forEach((i, j) => (dense[i] = values[j]));
    const response = task({ fromVersion: 0, toVersion: 1233, encoding: { $case: 'dense', dense: { values: dense } } });
    const bytes = GetTaskResponse.encode(response).finish();
    expect(GetTaskResponse.decode(bytes)).toEqual(response);
    console.log(`GetTaskResponse, dense catch-up (K=${K}) + ${TAU} assigned seeds: ${bytes.length} bytes`);
    expect(bytes.length).toBeGreaterThan(K * 4);
    expect(bytes.length).toBeLessThan(K * 4 + 1_000);
  });
});

describe('ErrorReason', () => {
  const protoText = fs.readFileSync(path.join(__dirname, '../../../proto/fedkseed/v1/errors.proto'), 'utf8');

  it('has the status code of every reason as errors.proto documents it', () => {
    // Each value's comment opens with its status code: "// UNAUTHENTICATED. RegisterClient without ...".
    const documented = new Map<string, string>();
    for (const m of protoText.matchAll(/\/\/ ([A-Z_]+)\. [^]*?\n\s*(ERROR_REASON_[A-Z_]+) = \d+;/g))
      documented.set(m[2], m[1]);
    const known = Object.values(ErrorReason).filter(
      (v): v is ErrorReason =>
        typeof v === 'number' && v !== ErrorReason.ERROR_REASON_UNSPECIFIED && v !== ErrorReason.UNRECOGNIZED,
    );
    expect(known).toHaveLength(18);
    expect(documented.size).toBe(known.length);
    for (const reason of known) {
      expect(isKnownErrorReason(reason)).toBe(true);
      const name = errorReasonToJSON(reason);
      expect([name, status[ERROR_REASON_STATUS[reason as KnownErrorReason]]]).toEqual([name, documented.get(name)]);
    }
    expect(isKnownErrorReason(ErrorReason.ERROR_REASON_UNSPECIFIED)).toBe(false);
    expect(isKnownErrorReason(99 as ErrorReason)).toBe(false);
  });

  it('travels as enum field 3 of ErrorDetail, and an unknown reason from a newer server decodes as its number', () => {
    const bytes = ErrorDetail.encode({ reason: ErrorReason.ERROR_REASON_ROUND_CLOSED, metadata: {} }).finish();
    expect(Array.from(bytes)).toEqual([3 << 3, ErrorReason.ERROR_REASON_ROUND_CLOSED]);
    expect(ErrorDetail.decode(Uint8Array.of(3 << 3, 99)).reason).toBe(99);
  });
});

describe('generated code', () => {
  it('is marked as generated in every file', () => {
    const dir = path.join(__dirname, 'generated', 'fedkseed', 'v1');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files).toHaveLength(7);
    for (const file of files) {
      expect(fs.readFileSync(path.join(dir, file), 'utf8')).toMatch(
        /^\/\/ Code generated by protoc-gen-ts_proto\. DO NOT EDIT\.\n/,
      );
    }
  });
});

describe('AggregatorService over grpc-js', () => {
  const runSeed = 0xffff_ffff_ffff_fff1n; // above 2^63: survives only as a uint64/bigint end to end
  const accumulated = [0.5, -1.25, 1e-12, Number.MAX_VALUE];
  let server: Server;
  let client: AggregatorServiceClient;
  let seenToken: string | undefined;

  const unimplemented = (_call: unknown, callback: (err: Partial<ServiceError>) => void) =>
    callback({ code: status.UNIMPLEMENTED, details: 'not in this stub' });
  const implementation: AggregatorServiceServer = {
    registerClient: unimplemented,
    getTask: unimplemented,
    submitScalarGradients: (call, callback) => {
      callback({
        code: ERROR_REASON_STATUS[ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION],
        details: `another upload is recorded for round ${call.request.round}`,
        metadata: errorDetailMetadata({
          reason: ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION,
          metadata: { round: String(call.request.round) },
        }),
      });
    },
    getRunState: (call, callback) => {
      seenToken = bearerToken(call.metadata);
      callback(null, {
        run: {
          runId: 'test-run',
          numCandidateSeeds: accumulated.length,
          runSeed,
          zoLr: 3e-7,
          zoEps: 5e-4,
          numLocalSteps: TAU,
          batchSize: 1,
          maxSequenceLength: 1024,
          gradClip: 0,
          seedSampling: SeedSampling.SEED_SAMPLING_IMPORTANCE,
          aggregationWeighting: AggregationWeighting.AGGREGATION_WEIGHTING_DATA_SIZE,
          baseModelId: 'tiny@main',
          numRounds: 40,
          allowLossyCatchUp: false,
          importanceClip: 1000,
          importanceGradInitial: 0,
          scalarClip: 1000,
          aggregationRule: AggregationRule.AGGREGATION_RULE_MEAN,
          aggregationTrimFraction: 0.1,
        },
        modelVersion: 7,
        accumulated: call.request.omitAccumulated ? [] : accumulated,
        currentRound: 8,
        roundStatus: RoundStatus.ROUND_STATUS_OPEN,
        runStatus: RunStatus.RUN_STATUS_RUNNING,
      });
    },
  };

  beforeAll(async () => {
    server = new Server();
    server.addService(AggregatorServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('localhost:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new AggregatorServiceClient(`localhost:${port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('serves GetRunState through the generated client, with the bearer token and a uint64 run seed', async () => {
    const response = await new Promise<GetRunStateResponse>((resolve, reject) =>
      client.getRunState({ omitAccumulated: false }, bearerMetadata('tok-123'), (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    expect(seenToken).toBe('tok-123');
    expect(response.run?.runSeed).toBe(runSeed);
    expect(typeof response.run?.runSeed).toBe('bigint');
    expect(response.run?.seedSampling).toBe(SeedSampling.SEED_SAMPLING_IMPORTANCE);
    expect(response.accumulated).toEqual(accumulated);
    expect(response.modelVersion).toBe(7);
    expect(response.roundStatus).toBe(RoundStatus.ROUND_STATUS_OPEN);
    expect(response.fingerprint).toBeUndefined();
  });

  it('carries the status code and the ErrorDetail reason of a failed call', async () => {
    const err = await new Promise<ServiceError>((resolve, reject) =>
      client.submitScalarGradients(
        {
          round: 9,
          modelVersion: 8,
          scalarGradients: randomPairs(3, 5),
          localStepsRun: 3,
          skippedSteps: 0,
          meanLocalLoss: 1,
          trainDurationMs: 10,
        },
        bearerMetadata('tok-123'),
        (e) => (e ? resolve(e) : reject(new Error('expected an error'))),
      ),
    );
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(readErrorDetail(err.metadata as Metadata)).toEqual({
      reason: ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION,
      metadata: { round: '9' },
    });
  });
});
