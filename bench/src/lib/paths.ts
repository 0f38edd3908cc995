/** Where the benches find the repository, their Python references and their output folder. */
import path from 'node:path';

/** The bench workspace (compiled files live in bench/dist/lib). */
export const BENCH_DIR = path.resolve(__dirname, '..', '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
/** bench/reference: the PyTorch scripts the benches set beside the project's code. */
export const REFERENCE_DIR = path.join(BENCH_DIR, 'reference');
/** bench/out: models, splits and reports the benches write (ignored by git). */
export const OUT_DIR = path.join(BENCH_DIR, 'out');
