import {
  decodeDelta,
  decodeFloat64Vector,
  decodeUpload,
  encodeDelta,
  encodeFloat64Vector,
  encodeUpload,
} from './codec';

describe('codec', () => {
  it('packs an upload as a 12-byte header and 8 little-endian bytes per pair', () => {
    const buf = encodeUpload([{ seedIndex: 0x01020304, scalarGrad: 1 }], 200, 0.5);
    expect(buf.toString('hex')).toBe(
      'c8000000' + // numLocalSteps 200, uint32 LE
        '000000000000e03f' + // meanLoss 0.5, float64 LE
        '04030201' + // seedIndex, uint32 LE
        '0000803f', // 1.0f, float32 LE
    );
    expect(decodeUpload(buf)).toEqual({
      pairs: [{ seedIndex: 0x01020304, scalarGrad: 1 }],
      numLocalSteps: 200,
      meanLoss: 0.5,
    });
  });

  it('rounds scalars to float32 once and keeps float64 vectors bit for bit', () => {
    const [pair] = decodeUpload(encodeUpload([{ seedIndex: 0, scalarGrad: 0.1 }], 1, 0)).pairs;
    expect(pair.scalarGrad).toBe(Math.fround(0.1));
    const v = Float64Array.of(-0, Number.MIN_VALUE, 0.1 + 0.2, -Infinity, 1e308);
    const back = decodeFloat64Vector(encodeFloat64Vector(v));
    expect(Buffer.from(back.buffer).equals(Buffer.from(v.buffer))).toBe(true);
  });

  it('stores a delta as indices then values', () => {
    const buf = encodeDelta(Uint32Array.of(3, 9), Float64Array.of(0.25, -1));
    // uint32 LE 3, 9; then float64 LE 0.25, -1.
    expect(buf.toString('hex')).toBe('03000000' + '09000000' + '000000000000d03f' + '000000000000f0bf');
    expect(decodeDelta(buf)).toEqual({ seedIndices: Uint32Array.of(3, 9), values: Float64Array.of(0.25, -1) });
  });
});
