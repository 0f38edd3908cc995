/**
 * A float32 tensor whose values a function writes, staged as little as the active backend allows:
 * - wasm: the tensor is allocated in the wasm heap first and the function writes into the heap itself, so
 *   nothing is copied afterwards (tf.tensor() would copy a host array into the heap);
 * - cpu: the function writes a new array, which the cpu backend keeps as the tensor's storage;
 * - any other backend: the function writes into `scratch` (reused across calls), which the backend copies.
 * The function is not called for an empty shape.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The backends filledTensor serves without a scratch array. */
export const STAGING_FREE_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export function filledTensor(
  shape: readonly number[],
  fill: (out: Float32Array) => void,
  scratch?: Float32Array,
): tf.Tensor {
  const dims = [...shape];
  const size = tf.util.sizeFromShape(dims);
  const backendName = tf.getBackend();
  if (backendName === 'wasm') {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const info = backend.makeOutput(dims, 'float32');
    const tensor = tf.engine().makeTensorFromTensorInfo(info);
    try {
      // The view is taken after the allocation, which may have grown (and so replaced) the heap's buffer.
      if (size > 0) fill(backend.typedArrayFromHeap(info));
    } catch (err) {
      tensor.dispose();
      throw err;
    }
    return tensor;
  }
  if (backendName === 'cpu' || !scratch) {
    const values = new Float32Array(size);
    if (size > 0) fill(values);
    return tf.tensor(values, dims, 'float32');
  }
  if (scratch.length < size) throw new RangeError(`filledTensor: the scratch is shorter than ${size} elements`);
  const view = scratch.subarray(0, size);
  if (size > 0) fill(view);
  return tf.tensor(view, dims, 'float32');
}
