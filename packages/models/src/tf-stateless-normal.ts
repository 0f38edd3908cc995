/**
 * z generated inside TensorFlow (tfjs-node, tfjs-node-gpu) by its stateless Philox normal op, so that weights
 * resident in TensorFlow's memory (on the GPU with tfjs-node-gpu) are perturbed without moving weights or noise
 * through the host.
 *
 * `StatelessRandomNormalV2(shape, key: uint64[1], counter: uint64[2], alg = 1 (Philox))` computes output element
 * i from Philox4x32-10(counter + floor(i / 4), key), Box-Muller on word pairs (sin first, then cos), uniforms
 * from the 23 low mantissa bits, u1 floored at 1e-7: the conventions docs/perturbation-spec.md follows. With
 * key = the seed's key words and counter = (o / 4, 0) for a tensor at flat offset o (a multiple of 4), its
 * output is the spec's z to within the spec's tolerance (4e-6): TensorFlow takes log, sin and cos from its math
 * library where the spec fixes its own polynomials.
 *
 * tfjs has no uint64 dtype, so the key and counter enter as int32 words reinterpreted by TensorFlow's `Bitcast`
 * op; those uint64 intermediates never become tfjs tensors (tfjs-node cannot represent them) and are deleted
 * right after use. This reaches below tfjs-node's public API (its `binding` and its backend's
 * `createOutputTensor`), checked at construction with a clear error if a tfjs-node release changes them.
 *
 * Not exercised by CI on this project's build machines, where tfjs-node cannot be installed; its test runs
 * wherever it is (packages/models/test/tf-stateless-normal.test.ts).
 */
import * as os from 'node:os';

import * as tf from '@tensorflow/tfjs-core';

import type { NormalGenerator } from './normal-generator';

/** TF_DataType values (tensorflow/c/tf_datatype.h); tfjs-node's binding does not export TF_UINT64. */
const TF_UINT64 = 23;
/** RNG_ALG_PHILOX (tensorflow/core/framework/rng_alg.h). */
const RNG_ALG_PHILOX = 1;

interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

interface TfjsNodeBinding {
  TF_FLOAT: number;
  TF_INT32: number;
  TF_ATTR_TYPE: number;
  createTensor(shape: number[], dtype: number, values: Int32Array): number;
  deleteTensor(id: number): void;
  executeOp(
    name: string,
    attrs: { name: string; type: number; value: number }[],
    inputIds: number[],
    numOutputs: number,
  ): TensorMetadata[];
}

interface TfjsNodeBackend {
  binding: TfjsNodeBinding;
  createOutputTensor(metadata: TensorMetadata): tf.Tensor;
}

function tfjsNodeBackend(): TfjsNodeBackend {
  if (tf.getBackend() !== 'tensorflow')
    throw new Error(
      `tfStatelessNormalGenerator needs the tensorflow backend (tfjs-node or tfjs-node-gpu); the active backend is '${tf.getBackend()}'`,
    );
  const backend = tf.backend() as unknown as Partial<TfjsNodeBackend>;
  const binding = backend.binding;
  const missing = [
    typeof binding?.executeOp !== 'function' && 'binding.executeOp',
    typeof binding?.createTensor !== 'function' && 'binding.createTensor',
    typeof binding?.deleteTensor !== 'function' && 'binding.deleteTensor',
    typeof binding?.TF_INT32 !== 'number' && 'binding.TF_INT32',
    typeof backend.createOutputTensor !== 'function' && 'createOutputTensor',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new Error(
      `this tfjs-node release lacks what tfStatelessNormalGenerator uses (${missing.join(', ')}); ` +
        'use the host generator (hostNormalGenerator) or a tfjs-node 4.x release',
    );
  if (os.endianness() !== 'LE') throw new Error('tfStatelessNormalGenerator assumes a little-endian host');
  return backend as TfjsNodeBackend;
}

/** A NormalGenerator on TensorFlow's StatelessRandomNormalV2; throws unless the tensorflow backend is active. */
export function tfStatelessNormalGenerator(): NormalGenerator {
  const backend = tfjsNodeBackend();
  const b = backend.binding;
  const bitcastToUint64 = [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
    { name: 'type', type: b.TF_ATTR_TYPE, value: TF_UINT64 },
  ];
  const normalAttrs = [
    { name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'Tshape', type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
  ];
  return (shape, key, elementOffset) => {
    if (!Number.isSafeInteger(elementOffset) || elementOffset < 0 || elementOffset % 4 !== 0)
      throw new RangeError(`elementOffset must be a non-negative multiple of 4, got ${elementOffset}`);
    if (key.length !== 2) throw new RangeError('a Philox key is 2 uint32 words');
    const block = elementOffset / 4;
    const handles: number[] = [];
    // Fresh arrays per call: TensorFlow may alias them until the handles are deleted.
    const int32 = (dims: number[], words: ArrayLike<number>) => {
      const id = b.createTensor(dims, b.TF_INT32, new Int32Array(Uint32Array.from(words).buffer));
      handles.push(id);
      return id;
    };
    const uint64 = (int32Id: number) => {
      const [out] = b.executeOp('Bitcast', bitcastToUint64, [int32Id], 1);
      handles.push(out.id);
      return out.id;
    };
    try {
      const keyId = uint64(int32([1, 2], [key[0], key[1]]));
      const counterId = uint64(int32([2, 2], [block % 2 ** 32, Math.floor(block / 2 ** 32), 0, 0]));
      const shapeId = int32([shape.length], shape);
      const algId = int32([], [RNG_ALG_PHILOX]);
      const [z] = b.executeOp('StatelessRandomNormalV2', normalAttrs, [shapeId, keyId, counterId, algId], 1);
      return backend.createOutputTensor(z);
    } finally {
      for (const id of handles) b.deleteTensor(id);
    }
  };
}
