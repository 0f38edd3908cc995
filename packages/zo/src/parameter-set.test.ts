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
});
