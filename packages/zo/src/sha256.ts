/**
 * SHA-256 of a UTF-8 string, the hash of every derivation that parties reproduce from shared values
 * (docs/derivations.md). A pure function: node:crypto computes it without any I/O.
 */
import { createHash } from 'node:crypto';

/** The 32-byte SHA-256 digest of `text` encoded as UTF-8. */
export function sha256Utf8(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
