/**
 * One zeroth-order step (MeZO two-point estimate, Malladi et al. 2023; FedKSeed Algorithm 1, lines 7-10):
 *
 *   perturb   w + eps z_i  -> L+ ;  w - eps z_i -> L-
 *   estimate  g = (L+ - L-) / (2 eps), rounded to float32 (what crosses the network)
 *   update    w <- w - lr g z_i
 *
 * Invariant: the same seed index regenerates the same z_i everywhere, so the pair (i, g) alone lets any
 * party replay the update. Two shapes are offered:
 * - `zoStep` perturbs the weights in place: +eps, -2 eps, then the fused restore-and-update (eps - lr g),
 *   three regenerations. The base weights come back only up to float32 rounding.
 * - `zoStepPerturbed` never touches the base weights during the forward passes: the caller's loss
 *   evaluates w + scale z itself (e.g. a model that perturbs each layer into scratch just before it
 *   runs), so a skipped step leaves the weights byte-identical; one regeneration for the update.
 */
import { defaultPerturbEngine } from './create-perturb-engine';
import { ParameterSet } from './parameter-set';
import type { PerturbEngine } from './perturb-engine';
import type { PerturbTarget } from './perturb-target';
import { MAX_ABS_SCALAR_GRAD } from './scalar-gradient';

export interface ZoStepOptions {
  /** Index of the candidate seed that names z (recorded in the result). */
  seedIndex: number;
  /** Philox key of that seed (`CandidateSeeds.key(seedIndex)`). */
  key: Uint32Array;
  /** Perturbation scale epsilon (FedKSeed default 5e-4). */
  eps: number;
  /** Learning rate (FedKSeed default 3e-7 for ~1B-parameter models). */
  lr: number;
  /** Skip the step when |L+ - L-| exceeds this (the official code's loss-difference clip). @default Infinity */
  gradClip?: number;
  /** The engine that regenerates z. @default defaultPerturbEngine() (native where built) */
  engine?: PerturbEngine;
}

/** Why a step recorded no pair: a loss was not finite, |L+ - L-| exceeded gradClip, or |g| the API's bound. */
export type ZoSkipReason = 'non-finite-loss' | 'grad-clip' | 'scalar-out-of-range';

export interface ZoStepResult {
  seedIndex: number;
  /** g = (L+ - L-) / (2 eps) as a float32 value; 0 when skipped. */
  scalarGrad: number;
  lossPlus: number;
  lossMinus: number;
  skipped: boolean;
  skipReason?: ZoSkipReason;
}

export function assertStepOptions(opts: ZoStepOptions): void {
  if (!(opts.eps > 0) || !Number.isFinite(opts.eps))
    throw new RangeError(`zoStep: eps must be a positive finite number, got ${opts.eps}`);
  if (!(opts.lr >= 0) || !Number.isFinite(opts.lr))
    throw new RangeError(`zoStep: lr must be a finite number >= 0, got ${opts.lr}`);
  if (opts.gradClip !== undefined && !(opts.gradClip > 0)) {
    throw new RangeError(`zoStep: gradClip must be > 0 when given, got ${opts.gradClip}`);
  }
}

/** The two-point estimate, or the reason to skip the step. */
export function estimateScalarGrad(
  lossPlus: number,
  lossMinus: number,
  eps: number,
  gradClip: number | undefined,
): { scalarGrad: number; skipReason?: ZoSkipReason } {
  if (!Number.isFinite(lossPlus) || !Number.isFinite(lossMinus))
    return { scalarGrad: 0, skipReason: 'non-finite-loss' };
  const diff = lossPlus - lossMinus;
  if (gradClip !== undefined && Math.abs(diff) > gradClip) return { scalarGrad: 0, skipReason: 'grad-clip' };
  const scalarGrad = Math.fround(diff / (2 * eps));
  if (!Number.isFinite(scalarGrad)) return { scalarGrad: 0, skipReason: 'non-finite-loss' };
  if (Math.abs(scalarGrad) > MAX_ABS_SCALAR_GRAD) return { scalarGrad: 0, skipReason: 'scalar-out-of-range' };
  return { scalarGrad };
}

function stepResult(
  seedIndex: number,
  lossPlus: number,
  lossMinus: number,
  scalarGrad: number,
  skipReason: ZoSkipReason | undefined,
): ZoStepResult {
  return {
    seedIndex,
    scalarGrad,
    lossPlus,
    lossMinus,
    skipped: skipReason !== undefined,
    ...(skipReason && { skipReason }),
  };
}

function axpyAll(params: ParameterSet, engine: PerturbEngine, key: Uint32Array, scale: number): void {
  for (const t of params.tensors) engine.axpy(t.data, key, t.elementOffset, scale);
}

/** In-place ZO step: +eps, loss, -2 eps, loss, then one fused pass of (eps - lr g). */
export async function zoStep(
  params: ParameterSet,
  loss: (params: ParameterSet) => Promise<number>,
  opts: ZoStepOptions,
): Promise<ZoStepResult> {
  assertStepOptions(opts);
  const { seedIndex, key, eps, lr, gradClip } = opts;
  const engine = opts.engine ?? defaultPerturbEngine();
  axpyAll(params, engine, key, eps);
  let offsetFromBase = eps; // where the weights stand now, in units of z, so a failure can restore them
  let lossPlus: number;
  let lossMinus: number;
  try {
    lossPlus = await loss(params);
    axpyAll(params, engine, key, -2 * eps);
    offsetFromBase = -eps;
    lossMinus = await loss(params);
  } catch (err) {
    axpyAll(params, engine, key, -offsetFromBase);
    throw err;
  }
  const { scalarGrad, skipReason } = estimateScalarGrad(lossPlus, lossMinus, eps, gradClip);
  axpyAll(params, engine, key, skipReason ? eps : eps - lr * scalarGrad);
  return stepResult(seedIndex, lossPlus, lossMinus, scalarGrad, skipReason);
}

/**
 * ZO step whose loss evaluates w + scale z without modifying w; the update is one pass of -lr g, on the host
 * ParameterSet through `opts.engine`, or through `target.axpy` for weights that live elsewhere.
 */
export async function zoStepPerturbed(
  target: ParameterSet | PerturbTarget,
  lossAt: (perturbation: { key: Uint32Array; scale: number }) => Promise<number>,
  opts: ZoStepOptions,
): Promise<ZoStepResult> {
  assertStepOptions(opts);
  const { seedIndex, key, eps, lr, gradClip } = opts;
  const lossPlus = await lossAt({ key, scale: eps });
  const lossMinus = await lossAt({ key, scale: -eps });
  const { scalarGrad, skipReason } = estimateScalarGrad(lossPlus, lossMinus, eps, gradClip);
  if (!skipReason && scalarGrad !== 0 && lr !== 0) {
    if (target instanceof ParameterSet) axpyAll(target, opts.engine ?? defaultPerturbEngine(), key, -lr * scalarGrad);
    else await target.axpy(key, -lr * scalarGrad);
  }
  return stepResult(seedIndex, lossPlus, lossMinus, scalarGrad, skipReason);
}
