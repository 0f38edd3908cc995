import { ParameterSet } from './parameter-set';

describe('ParameterSet', () => {
  it('orders tensors by name in UTF-8 byte order and aligns every offset to 4', () => {
    const p = new ParameterSet([
      { name: 'model.layers.10.w', data: new Float32Array(3) },
      { name: 'lm_head.weight', data: new Float32Array(6), shape: [2, 3] },
      { name: 'model.layers.2.w', data: new Float32Array(5) },
      { name: 'Z', data: new Float32Array(1) },
    ]);
    expect(p.tensors.map((t) => [t.name, t.elementOffset])).toEqual([
      ['Z', 0],
      ['lm_head.weight', 4],
      ['model.layers.10.w', 12],
      ['model.layers.2.w', 16],
    ]);
    expect(p.totalElements).toBe(24);
    expect(p.numParameters).toBe(15);
    expect(p.get('lm_head.weight').shape).toEqual([2, 3]);
  });

  it('rejects duplicate names, mismatched shapes and unknown names', () => {
    expect(
      () =>
        new ParameterSet([
          { name: 'a', data: new Float32Array(1) },
          { name: 'a', data: new Float32Array(1) },
        ]),
    ).toThrow(/duplicate/);
    expect(() => new ParameterSet([{ name: 'a', data: new Float32Array(5), shape: [2, 2] }])).toThrow(/shape/);
    expect(() => ParameterSet.fromRecord({ a: new Float32Array(1) }).get('b')).toThrow(/no tensor/);
  });

  it('clones into independent buffers and flattens in canonical order', () => {
    const p = ParameterSet.fromRecord({ b: Float32Array.of(3, 4), a: Float32Array.of(1, 2) });
    const c = p.clone();
    c.get('a').data[0] = 9;
    expect(Array.from(p.flatten())).toEqual([1, 2, 3, 4]);
    expect(Array.from(c.flatten())).toEqual([9, 2, 3, 4]);
  });

  it('copyFrom copies values into its own buffers, which stay the same arrays', () => {
    const target = new ParameterSet([
      { name: 'a', data: new Float32Array(4), shape: [2, 2] },
      { name: 'b', data: new Float32Array(3) },
    ]);
    const buffers = target.tensors.map((t) => t.data);
    const source = new ParameterSet([
      { name: 'b', data: Float32Array.of(5, 6, 7) },
      { name: 'a', data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] },
    ]);
    target.copyFrom(source);
    expect(Array.from(target.flatten())).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(target.tensors.map((t) => t.data)).toEqual(buffers);
    expect(target.tensors.every((t, i) => t.data === buffers[i])).toBe(true);
    source.get('a').data[0] = -1;
    expect(target.get('a').data[0]).toBe(1);
    target.copyFrom(target);
    expect(Array.from(target.flatten())).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('copyFrom refuses another layout, naming the difference, and writes nothing', () => {
    const make = (tensors: [string, number[]][]) =>
      new ParameterSet(
        tensors.map(([name, shape]) => ({ name, shape, data: new Float32Array(shape[0] * (shape[1] ?? 1)).fill(7) })),
      );
    const target = make([
      ['a', [2, 2]],
      ['b', [3]],
    ]);
    target.get('a').data.fill(1);
    const before = Array.from(target.flatten());
    expect(() => target.copyFrom(make([['a', [2, 2]]]))).toThrow(/source has no tensor named "b"/);
    expect(() =>
      target.copyFrom(
        make([
          ['a', [4, 1]],
          ['b', [3]],
        ]),
      ),
    ).toThrow(/"a" has shape \[2, 2\] here but \[4, 1\]/);
    expect(() =>
      target.copyFrom(
        make([
          ['a', [2, 2]],
          ['b', [3]],
          ['c', [1]],
        ]),
      ),
    ).toThrow(/tensor "c" that is not here/);
    expect(Array.from(target.flatten())).toEqual(before);
  });
});
