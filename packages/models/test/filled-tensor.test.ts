/**
 * filledTensor (src/filled-tensor.ts) on wasm (written straight into the heap) and cpu (a new array the backend
 * keeps): the tensor holds what the function wrote, nothing is left behind when the function throws, and an
 * empty shape never calls it. The tensorflow backends take the cpu path (a new array per tensor); they are not
 * installed here.
 */
import * as tf from '@tensorflow/tfjs-core';

import { selectBackend } from '../src';
import { filledTensor } from '../src/filled-tensor';

describe.each(['wasm', 'cpu'] as const)('filledTensor on %s', (backend) => {
  beforeAll(() => selectBackend(backend));

  it('holds the values the function wrote, in the shape asked for', () => {
    const before = tf.memory().numTensors;
    const t = filledTensor([3, 4], (out) => {
      expect(out).toHaveLength(12);
      for (let i = 0; i < out.length; i++) out[i] = i * 0.25 - 1;
    });
    expect(t.shape).toEqual([3, 4]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.25 - 1));
    // Usable by kernels like any other tensor.
    const doubled = tf.mul(t, 2);
    expect(doubled.dataSync()[11]).toBe(3.5);
    tf.dispose([t, doubled]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives each call its own storage: an earlier tensor keeps its values', () => {
    const a = filledTensor([5], (out) => out.fill(1));
    const b = filledTensor([5], (out) => out.fill(2));
    expect(Array.from(a.dataSync())).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(b.dataSync())).toEqual([2, 2, 2, 2, 2]);
    tf.dispose([a, b]);
  });

  it('leaves no tensor behind when the function throws, and passes the error on', () => {
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    expect(() =>
      filledTensor([2, 2], () => {
        throw new Error('engine failed');
      }),
    ).toThrow('engine failed');
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });

  it('is disposed by tf.tidy like any tensor made inside it', () => {
    const before = tf.memory().numTensors;
    const sum = tf.tidy(() => tf.sum(filledTensor([4], (out) => out.fill(0.5))));
    expect(sum.dataSync()[0]).toBe(2);
    sum.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('makes an empty tensor without calling the function', () => {
    const fill = jest.fn();
    const t = filledTensor([0, 3], fill);
    expect(t.shape).toEqual([0, 3]);
    expect(fill).not.toHaveBeenCalled();
    t.dispose();
  });
});
