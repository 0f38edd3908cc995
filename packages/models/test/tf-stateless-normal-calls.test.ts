/**
 * What tfStatelessNormalGenerator asks of tfjs-node's binding, checked here with a recording stand-in for the
 * binding (tfjs-node cannot be installed on these machines; tf-stateless-normal.test.ts runs the real op where it
 * can). The contract under test is ours: the key and the counter packed as int32 words, low word first, bitcast
 * to uint64 [1] and [2]; counter block = element offset / 4 split across the two low words; shape as int32;
 * algorithm 1 (Philox); float32 output wrapped through the backend; every intermediate handle deleted, also
 * when an op fails.
 */
import * as tf from '@tensorflow/tfjs-core';

import { selectBackend, tfStatelessNormalGenerator } from '../src';

interface Call {
  op: string;
  attrs: { name: string; type: number; value: number }[];
  inputs: number[];
}

const TF_FLOAT = 1;
const TF_INT32 = 3;
const TF_UINT64 = 23;
const TF_ATTR_TYPE = 6;

function recordingBackend(failOn?: string) {
  let nextId = 1;
  const tensors = new Map<number, { shape: number[]; dtype: number; words?: number[] }>();
  const calls: Call[] = [];
  const deleted: number[] = [];
  const binding = {
    TF_FLOAT,
    TF_INT32,
    TF_ATTR_TYPE,
    createTensor(shape: number[], dtype: number, values: Int32Array) {
      const id = nextId++;
      tensors.set(id, {
        shape,
        dtype,
        words: Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length)),
      });
      return id;
    },
    deleteTensor(id: number) {
      if (!tensors.has(id)) throw new Error(`delete of unknown handle ${id}`);
      tensors.delete(id);
      deleted.push(id);
    },
    executeOp(op: string, attrs: Call['attrs'], inputs: number[], numOutputs: number) {
      expect(numOutputs).toBe(1);
      calls.push({ op, attrs, inputs });
      if (op === failOn) throw new Error(`${op} failed`);
      const id = nextId++;
      if (op === 'Bitcast') {
        const input = tensors.get(inputs[0])!;
        tensors.set(id, { shape: input.shape.slice(0, -1), dtype: TF_UINT64, words: input.words });
      } else {
        const shape = tensors.get(inputs[0])!.words!;
        tensors.set(id, { shape, dtype: TF_FLOAT });
      }
      return [{ id, shape: tensors.get(id)!.shape, dtype: tensors.get(id)!.dtype }];
    },
  };
  const outputs: { id: number; shape: number[] }[] = [];
  const backend = {
    binding,
    dispose: () => undefined,
    createOutputTensor(m: { id: number; shape: number[]; dtype: number }) {
      outputs.push(m);
      return { shape: m.shape, dispose: () => undefined };
    },
  };
  return { backend, calls, deleted, tensors, outputs };
}

describe('tfStatelessNormalGenerator against a recording binding', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  /** Runs `run` with the recording stand-in registered and active as the 'tensorflow' backend. */
  async function withBackend<T>(fake: ReturnType<typeof recordingBackend>, run: () => T): Promise<T> {
    tf.registerBackend('tensorflow', () => fake.backend as unknown as tf.KernelBackend);
    try {
      expect(await tf.setBackend('tensorflow')).toBe(true);
      return run();
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('tensorflow');
    }
  }

  it('refuses to start off the tensorflow backend, naming the active one', () => {
    expect(() => tfStatelessNormalGenerator()).toThrow(/needs the tensorflow backend.*'cpu'/);
  });

  it('names what a tfjs-node release lacks instead of failing later', async () => {
    const fake = recordingBackend();
    const partial = fake.backend.binding as Partial<typeof fake.backend.binding>;
    delete partial.executeOp;
    await expect(withBackend(fake, () => tfStatelessNormalGenerator())).rejects.toThrow(/lacks .*binding\.executeOp/);
  });

  it('packs key, counter, shape and algorithm as TensorFlow reads them, and deletes every handle', async () => {
    const fake = recordingBackend();
    const key = Uint32Array.of(0x89abcdef, 0x01234567);
    const elementOffset = 4 * (2 ** 32 + 5); // Philox block 2^32 + 5: counter words (5, 1, 0, 0)
    const z = await withBackend(fake, () => tfStatelessNormalGenerator()([17, 33], key, elementOffset));
    expect(z.shape).toEqual([17, 33]);
    z.dispose();

    const [bitcastKey, bitcastCounter, normal] = fake.calls;
    expect(fake.calls.map((c) => c.op)).toEqual(['Bitcast', 'Bitcast', 'StatelessRandomNormalV2']);
    for (const c of [bitcastKey, bitcastCounter])
      expect(c.attrs).toEqual([
        { name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 },
        { name: 'type', type: TF_ATTR_TYPE, value: TF_UINT64 },
      ]);
    expect(normal.attrs).toEqual([
      { name: 'dtype', type: TF_ATTR_TYPE, value: TF_FLOAT },
      { name: 'Tshape', type: TF_ATTR_TYPE, value: TF_INT32 },
    ]);
    // Inputs of the normal op: shape (int32 [2]), key (uint64 [1]), counter (uint64 [2]), alg (int32 scalar).
    const [shapeId, keyId, counterId, algId] = normal.inputs;
    // Handles in creation order: 1 key int32, 2 its bitcast, 3 counter int32, 4 its bitcast, 5 shape, 6 alg.
    expect(keyId).toBe(2);
    expect(counterId).toBe(4);
    expect(shapeId).toBe(5);
    expect(algId).toBe(6);
    expect(bitcastKey.inputs).toEqual([1]);
    expect(bitcastCounter.inputs).toEqual([3]);
    // Everything but the output was deleted, and the output went to the backend as the returned tensor.
    expect(fake.deleted.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fake.outputs.map((o) => o.id)).toEqual([7]);
    expect([...fake.tensors.keys()]).toEqual([7]);
  });

  it('writes the words TensorFlow expects: key low word first, counter = (block lo, block hi, 0, 0)', async () => {
    const fake = recordingBackend();
    const words = new Map<number, number[]>();
    const create = fake.backend.binding.createTensor;
    fake.backend.binding.createTensor = (shape, dtype, values) => {
      const id = create(shape, dtype, values);
      words.set(id, Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length)));
      expect(dtype).toBe(TF_INT32);
      return id;
    };
    const z = await withBackend(fake, () =>
      tfStatelessNormalGenerator()([3], Uint32Array.of(0xdeadbeef, 7), 4 * (2 ** 32 + 5)),
    );
    z.dispose();
    expect(words.get(1)).toEqual([0xdeadbeef, 7]); // key, [1, 2] int32 -> uint64 [1]
    expect(words.get(3)).toEqual([5, 1, 0, 0]); // counter, [2, 2] int32 -> uint64 [2]
    expect(words.get(5)).toEqual([3]); // shape
    expect(words.get(6)).toEqual([1]); // RNG_ALG_PHILOX
  });

  it('deletes the handles it made when an op fails, and rejects offsets off a Philox block', async () => {
    const fake = recordingBackend('StatelessRandomNormalV2');
    await expect(withBackend(fake, () => tfStatelessNormalGenerator()([8], Uint32Array.of(1, 2), 0))).rejects.toThrow(
      /StatelessRandomNormalV2 failed/,
    );
    expect(fake.calls.map((c) => c.op)).toEqual(['Bitcast', 'Bitcast', 'StatelessRandomNormalV2']);
    expect(fake.tensors.size).toBe(0);
    const ok = recordingBackend();
    await expect(withBackend(ok, () => tfStatelessNormalGenerator()([8], Uint32Array.of(1, 2), 6))).rejects.toThrow(
      /multiple of 4/,
    );
    expect(ok.tensors.size).toBe(0);
  });
});
