/**
 * A composition root's config step: load, or print every problem and exit 2 (the documented exit code of a
 * bad configuration).
 */
import { type ConfigError, isConfigError, type Env } from './config';

/** `load(env)`, or, on a ConfigError, every problem on stderr and exit code 2. */
export function loadConfigOrExit<C>(service: string, load: (env: Env) => C, env: Env = process.env): C {
  try {
    return load(env);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    process.stderr.write(`${service}: ${(e as ConfigError).message}\n`);
    process.exit(2);
  }
}
