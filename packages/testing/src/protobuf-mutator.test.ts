/** The wire-format reader and writer, and mutations of a real upload: deterministic, and as damaging as meant. */
import { ScalarGradient, SubmitScalarGradientsRequest } from '@fedkseed/proto';

import { FuzzRandom } from './fuzz-random';
import { mutateProtobuf } from './protobuf-mutator';
import { WireType, encodeVarint, encodeWireFields, parseWireFields, readVarint } from './protobuf-wire';

const upload = Buffer.from(
  SubmitScalarGradientsRequest.encode({
    round: 3,
    modelVersion: 2,
    scalarGradients: [
      { seedIndex: 5, scalarGrad: 0.25 },
      { seedIndex: 4095, scalarGrad: -1.5 },
    ],
    localStepsRun: 3,
    skippedSteps: 1,
    meanLocalLoss: 2.5,
    trainDurationMs: 1200,
    baseModelFingerprint: { version: 2, scheme: 'philox-proj-v1', projections: [1, 2] },
  }).finish(),
);

describe('protobuf wire fields', () => {
  it('splits a message into its fields and writes the same bytes back', () => {
    const fields = parseWireFields(upload)!;
    expect(fields.map((f) => [f.fieldNumber, f.wireType])).toEqual([
      [1, WireType.varint],
      [2, WireType.varint],
      [3, WireType.lengthDelimited],
      [3, WireType.lengthDelimited],
      [4, WireType.varint],
      [5, WireType.varint],
      [6, WireType.fixed32],
      [7, WireType.varint],
      [8, WireType.lengthDelimited],
    ]);
    expect(ScalarGradient.decode(fields[3].value)).toEqual({ seedIndex: 4095, scalarGrad: -1.5 });
    expect(encodeWireFields(fields)).toEqual(upload);
    expect(parseWireFields(upload.subarray(0, upload.length - 1))).toBeUndefined();
  });

  it('writes varints up to 10 bytes that read back, padded ones included, and reads no 11th byte', () => {
    expect(encodeVarint(2n ** 64n - 1n)).toHaveLength(10);
    expect(readVarint(encodeVarint(300, 5), 0)).toEqual({ value: 300n, end: 5 });
    expect(readVarint(encodeVarint(1, 11), 0)).toBeUndefined();
  });
});

describe('mutateProtobuf', () => {
  const mutants = Array.from({ length: 2000 }, (_, i) => mutateProtobuf(upload, new FuzzRandom(5, 0, i)));

  it('is a function of (seed, stream, substream)', () => {
    expect(mutateProtobuf(upload, new FuzzRandom(5, 0, 17))).toEqual(mutants[17]);
    expect(mutateProtobuf(upload, new FuzzRandom(6, 0, 17))).not.toEqual(mutants[17]);
  });

  it('yields messages that decode to other values and bytes that do not decode at all', () => {
    let decodes = 0;
    let changedValue = 0;
    for (const bytes of mutants) {
      try {
        const decoded = SubmitScalarGradientsRequest.decode(bytes);
        decodes++;
        if (!Buffer.from(SubmitScalarGradientsRequest.encode(decoded).finish()).equals(upload)) changedValue++;
      } catch {
        // malformed: what the server must refuse as such
      }
    }
    expect(mutants.filter((m) => m.equals(upload)).length).toBeLessThan(100);
    expect(decodes).toBeGreaterThan(400);
    expect(changedValue).toBeGreaterThan(300);
    expect(mutants.length - decodes).toBeGreaterThan(400);
  });
});
