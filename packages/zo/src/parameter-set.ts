/**
 * The trainable parameters as the ZO engine sees them: named float32 tensors in one canonical order.
 *
 * Invariant (docs/perturbation-spec.md section 3): tensors are sorted by name (UTF-8 byte order, which is
 * code point order, as Python's sorted() and Rust's Ord agree), and tensor t starts at element offset
 * o_t = round_up(o_{t-1} + size_{t-1}, 4). Element j of tensor t is perturbed by z[o_t + j], so any
 * tensor, or any chunk of one, can be generated on its own and every party agrees on the direction.
 */

export interface ParameterTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** The tensor's values, row-major; engines update it in place. */
  readonly data: Float32Array;
  /** First element's offset in the flat perturbation space; a multiple of 4. */
  readonly elementOffset: number;
}

export interface NamedTensor {
  name: string;
  data: Float32Array;
  /** Defaults to [data.length]. */
  shape?: readonly number[];
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class ParameterSet {
  readonly tensors: readonly ParameterTensor[];
  /** Span of the flat perturbation space: the last tensor's end rounded up to a multiple of 4. */
  readonly totalElements: number;
  /** Number of parameters (sum of tensor sizes, padding excluded). */
  readonly numParameters: number;
  private readonly byName: ReadonlyMap<string, ParameterTensor>;

  constructor(tensors: readonly NamedTensor[]) {
    const sorted = [...tensors].sort((a, b) => utf8Compare(a.name, b.name));
    const placed: ParameterTensor[] = [];
    const byName = new Map<string, ParameterTensor>();
    let offset = 0;
    let numParameters = 0;
    for (const t of sorted) {
      if (byName.has(t.name)) throw new Error(`ParameterSet: duplicate tensor name "${t.name}"`);
      if (!(t.data instanceof Float32Array))
        throw new TypeError(`ParameterSet: tensor "${t.name}" must be a Float32Array`);
      const shape = t.shape ?? [t.data.length];
      const size = shape.reduce((p, d) => p * d, 1);
      if (size !== t.data.length) {
        throw new RangeError(
          `ParameterSet: tensor "${t.name}" has shape [${shape.join(', ')}] but ${t.data.length} values`,
        );
      }
      const placedTensor: ParameterTensor = { name: t.name, shape: [...shape], data: t.data, elementOffset: offset };
      placed.push(placedTensor);
      byName.set(t.name, placedTensor);
      offset += Math.ceil(size / 4) * 4;
      numParameters += size;
    }
    if (!Number.isSafeInteger(offset)) throw new RangeError('ParameterSet: too many elements');
    this.tensors = placed;
    this.byName = byName;
    this.totalElements = offset;
    this.numParameters = numParameters;
  }

  /** A ParameterSet over a name -> values record (1-D shapes). */
  static fromRecord(record: Record<string, Float32Array>): ParameterSet {
    return new ParameterSet(Object.entries(record).map(([name, data]) => ({ name, data })));
  }

  get(name: string): ParameterTensor {
    const t = this.byName.get(name);
    if (!t) throw new RangeError(`ParameterSet: no tensor named "${name}"`);
    return t;
  }

  /** A deep copy: same names, offsets and values in fresh buffers. */
  clone(): ParameterSet {
    return new ParameterSet(this.tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data.slice() })));
  }

  /**
   * Copies `other`'s values into this set's buffers (which stay the same arrays: engines and models holding them
   * see the new values). Both must have the same tensor names and shapes; nothing is written otherwise.
   */
  copyFrom(other: ParameterSet): void {
    assertSameParameterLayout(this, other, 'ParameterSet.copyFrom');
    if (other === this) return;
    this.tensors.forEach((t, i) => t.data.set(other.tensors[i].data));
  }

  /** All values concatenated in canonical order (no padding), for tests and fingerprints. */
  flatten(): Float32Array {
    const out = new Float32Array(this.numParameters);
    let o = 0;
    for (const t of this.tensors) {
      out.set(t.data, o);
      o += t.data.length;
    }
    return out;
  }
}

/** What a layout check reads of a set of tensors (a ParameterSet, or weights kept elsewhere). */
export interface ParameterLayout {
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

/**
 * Throws unless `source` has exactly `target`'s tensor names and shapes (hence the same offsets), naming the
 * first difference; `what` opens the message.
 */
export function assertSameParameterLayout(target: ParameterLayout, source: ParameterLayout, what: string): void {
  const shapes = new Map(source.tensors.map((t) => [t.name, t.shape]));
  for (const t of target.tensors) {
    const shape = shapes.get(t.name);
    if (!shape) throw new RangeError(`${what}: the source has no tensor named "${t.name}"`);
    if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
      throw new RangeError(
        `${what}: tensor "${t.name}" has shape [${t.shape.join(', ')}] here but [${shape.join(', ')}] in the source`,
      );
    }
    shapes.delete(t.name);
  }
  const [extra] = shapes.keys();
  if (extra !== undefined) throw new RangeError(`${what}: the source has a tensor "${extra}" that is not here`);
}
