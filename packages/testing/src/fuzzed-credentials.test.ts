/** Wrong credentials are wrong as the server reads them, and the accepted spellings of a token read back as it. */
import { METADATA_JOIN_SECRET, bearerToken } from '@fedkseed/proto';

import {
  bearerMetadataVariant,
  joinSecretMetadataVariant,
  wrongBearerMetadata,
  wrongJoinSecretMetadata,
} from './fuzzed-credentials';
import { FuzzRandom } from './fuzz-random';

const tokens = ['v1.c-AAAA.mac-of-a', 'v1.operator.mac-of-operator'];
const joinSecret = 'join-secret-0123456789';
const draws = (n: number) => Array.from({ length: n }, (_, i) => new FuzzRandom(3, 0, i));

describe('fuzzed credentials', () => {
  it('never carries a valid token or the join secret among the wrong ones', () => {
    for (const random of draws(2000)) {
      const token = bearerToken(wrongBearerMetadata(random, tokens));
      expect(token === undefined || !tokens.includes(token)).toBe(true);
      expect(wrongJoinSecretMetadata(random, joinSecret).get(METADATA_JOIN_SECRET)).not.toEqual([joinSecret]);
    }
  });

  it('reads back the valid token or join secret from every accepted spelling', () => {
    for (const random of draws(200)) {
      expect(bearerToken(bearerMetadataVariant(random, tokens[0]))).toBe(tokens[0]);
      expect(joinSecretMetadataVariant(random, joinSecret).get(METADATA_JOIN_SECRET)).toEqual([joinSecret]);
    }
  });

  it('varies: missing, malformed and changed tokens all occur', () => {
    const values = draws(500).map((random) => wrongBearerMetadata(random, tokens).get('authorization')[0]);
    expect(values).toContain(undefined);
    expect(values.some((v) => typeof v === 'string' && v.startsWith('Basic '))).toBe(true);
    expect(values.some((v) => typeof v === 'string' && /^Bearer v1\./.test(v))).toBe(true);
  });
});
