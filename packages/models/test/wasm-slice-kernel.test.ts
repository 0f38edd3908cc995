/**
 * The in-place Slice kernel for the wasm backend (src/wasm-slice-kernel.ts) against slices taken by index
 * arithmetic here, over ranks 1-5, boxes that are and are not contiguous, -1 sizes, empty boxes and every dtype.
 */
import * as tf from '@tensorflow/tfjs-core';

import { selectBackend } from '../src';
import { isInPlaceWasmSliceActive, useInPlaceWasmSlice } from '../src/wasm-slice-kernel';

/** out[i] = x[start + i] for every multi-index i of the box, row-major. */
function sliceByIndex(values: ArrayLike<number>, shape: number[], start: number[], extent: number[]): number[] {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const count = extent.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < count; flat++) {
    let rest = flat;
    let offset = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const i = rest % extent[d];
      rest = Math.floor(rest / extent[d]);
      offset += (start[d] + i) * strides[d];
    }
    out.push(values[offset]);
  }
  return out;
}

const CASES: { shape: number[]; begin: number[]; size: number[] }[] = [
  { shape: [7], begin: [2], size: [4] },
  { shape: [384, 128], begin: [64, 0], size: [64, 128] }, // whole rows: one run
  { shape: [128, 384], begin: [0, 128], size: [128, 64] }, // a column band: a run per row
  { shape: [6, 64, 128], begin: [0, 32, 0], size: [-1, 32, -1] }, // RoPE's second half
  { shape: [3, 4, 5], begin: [1, 1, 2], size: [2, 3, 2] },
  { shape: [2, 3, 4, 5], begin: [1, 0, 1, 0], size: [1, 3, 2, 5] },
  { shape: [2, 3, 2, 3, 4], begin: [0, 1, 1, 0, 1], size: [2, 2, 1, 3, 3] },
  { shape: [4, 5], begin: [2, 1], size: [0, 3] }, // empty
];

describe('in-place wasm Slice kernel', () => {
  // The single-threaded build: its memory is not shared, so growing it detaches every view taken before (the
  // threaded build's shared memory leaves old views readable), which the last case relies on.
  const threads = process.env.FEDKSEED_WASM_THREADS;
  beforeAll(() => {
    process.env.FEDKSEED_WASM_THREADS = '1';
    return selectBackend('wasm');
  });
  afterAll(() => {
    if (threads === undefined) delete process.env.FEDKSEED_WASM_THREADS;
    else process.env.FEDKSEED_WASM_THREADS = threads;
  });

  it('is the active Slice kernel after selectBackend, and replacing it again is a no-op', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(isInPlaceWasmSliceActive()).toBe(true);
    expect(useInPlaceWasmSlice()).toBe(false);
    expect(isInPlaceWasmSliceActive()).toBe(true);
  });

  it.each(CASES)(
    'slices $shape at $begin size $size like index arithmetic, in every dtype',
    ({ shape, begin, size }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const extent = size.map((s, d) => (s === -1 ? shape[d] - begin[d] : s));
      const floats = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
      const ints = Int32Array.from({ length: n }, (_, i) => i * 7 - 11);
      const bools = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
      for (const [values, dtype] of [
        [floats, 'float32'],
        [ints, 'int32'],
        [bools, 'bool'],
      ] as const) {
        const x = tf.tensor(values, shape, dtype);
        const y = tf.slice(x, begin, size);
        expect(y.shape).toEqual(extent);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(sliceByIndex(values, shape, begin, extent));
        tf.dispose([x, y]);
      }
    },
  );

  it('leaves string tensors to the package kernel', () => {
    const x = tf.tensor(['a', 'b', 'c', 'd', 'e', 'f'], [2, 3], 'string');
    const y = tf.slice(x, [0, 1], [2, 2]);
    expect(y.arraySync()).toEqual([
      ['b', 'c'],
      ['e', 'f'],
    ]);
    tf.dispose([x, y]);
  });

  it('reads the input after the output is allocated, so a heap that grows in between is no problem', () => {
    const heapBytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const x = tf.reshape(tf.range(0, 6_000_000, 1, 'float32'), [3000, 2000]);
    const before = heapBytes();
    // An output as large as the heap has grown so far: its allocation must grow the wasm memory.
    const rows = Math.min(3000, Math.ceil(before / 4 / 2000));
    const y = tf.slice(x, [3000 - rows, 1], [rows, 1999]);
    expect(heapBytes()).toBeGreaterThan(before);
    const got = y.dataSync();
    expect(got[0]).toBe((3000 - rows) * 2000 + 1);
    expect(got[got.length - 1]).toBe(2999 * 2000 + 1999);
    tf.dispose([x, y]);
  });
});
