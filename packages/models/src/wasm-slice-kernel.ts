/**
 * A Slice kernel for tfjs-backend-wasm that reads its input in place.
 *
 * The package's own Slice kernel (4.22) starts with `backend.readSync(x)`, which copies the whole input out of
 * the wasm heap, however small the slice: per attention head the model slices 64 rows out of a [384, 128]
 * activation and paid for copying all of it, 132 times per forward (~17 ms of a ~160 ms forward on the bench
 * model). This kernel copies only the sliced elements, straight from a view of the heap; the result is the same
 * array. Strings keep the package's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The kernel functions this module registered, to recognise them on a second call. */
const ours = new WeakSet<tf.KernelFunc>();

/** Replaces the wasm backend's Slice kernel (once per tfjs-core instance); returns false if it already was. */
export function useInPlaceWasmSlice(): boolean {
  const current = tf.getKernel(tf.Slice, 'wasm');
  if (current === undefined) throw new Error('the wasm backend has no Slice kernel to replace');
  if (ours.has(current.kernelFunc)) return false;
  const packaged = current.kernelFunc;
  const kernelFunc: tf.KernelFunc = (args) =>
    (args.inputs.x as tf.TensorInfo).dtype === 'string' ? packaged(args) : sliceFromHeap(args);
  ours.add(kernelFunc);
  tf.unregisterKernel(tf.Slice, 'wasm');
  tf.registerKernel({ kernelName: tf.Slice, backendName: 'wasm', kernelFunc });
  return true;
}

/** Whether the wasm backend's Slice kernel is this module's. */
export function isInPlaceWasmSliceActive(): boolean {
  const current = tf.getKernel(tf.Slice, 'wasm');
  return current !== undefined && ours.has(current.kernelFunc);
}

function sliceFromHeap(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  const backend = args.backend as unknown as WasmBackendLike;
  const [start, extent] = tf.slice_util.parseSliceParams(x, begin, size);
  const out = backend.makeOutput(extent, x.dtype);
  const count = tf.util.sizeFromShape(extent);
  if (count === 0) return out;
  // Views taken after makeOutput: an allocation may have grown (and so replaced) the heap's buffer.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  copyBox(from, x.shape, start, extent, to);
  return out;
}

/**
 * Copies the box [start, start + extent) of a row-major array of `shape` into `to`, row-major: one contiguous
 * run per innermost row of the box (runs merged where the box spans whole trailing dimensions).
 */
export function copyBox(
  from: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  start: readonly number[],
  extent: readonly number[],
  to: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  // The trailing dimensions the box covers whole, plus the first one it does not, form one contiguous run.
  let runDims = rank;
  let run = 1;
  for (let d = rank - 1; d >= 0; d--) {
    run *= extent[d];
    runDims = d;
    if (extent[d] !== shape[d]) break;
  }
  const strides = tf.util.computeStrides(shape as number[]);
  const stride = (d: number) => (d === rank - 1 ? 1 : strides[d]);
  let base = 0;
  for (let d = 0; d < rank; d++) base += start[d] * stride(d);
  const outer = extent.slice(0, runDims);
  const index = new Array<number>(outer.length).fill(0);
  const runs = tf.util.sizeFromShape(outer);
  for (let r = 0, o = 0; r < runs; r++, o += run) {
    let offset = base;
    for (let d = 0; d < outer.length; d++) offset += index[d] * stride(d);
    to.set(from.subarray(offset, offset + run), o);
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++index[d] < outer[d]) break;
      index[d] = 0;
    }
  }
}
