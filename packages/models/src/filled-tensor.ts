/**
 * A float32 tensor whose values a function writes, staged as little as the active backend allows:
 * - wasm: the tensor is allocated in the wasm heap first and the function writes into the heap itself, so
 *   nothing is copied afterwards (tf.tensor() would copy a host array into the heap);
 * - any other backend: the function writes a new array, which becomes the tensor's storage (the cpu backend
 *   keeps it; tfjs-node keeps a reference and copies it only when an op first reads the tensor, so an array
 *   reused across calls would be overwritten before it is read).
 * The function is not called for an empty shape.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export function filledTensor(shape: readonly number[], fill: (out: Float32Array) => void): tf.Tensor {
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
  const values = new Float32Array(size);
  if (size > 0) fill(values);
  return tf.tensor(values, dims, 'float32');
}
