import { readdirSync } from 'node:fs';

import { LUA_DIR, loadLuaScripts, SCRIPT_NAMES } from './lua-scripts';
import { FAILURE_REASONS } from './script-reply';

describe('Lua scripts', () => {
  const scripts = [...loadLuaScripts().values()];

  it('are exactly the files of the lua folder, one per script name, named <name>-<numKeys>.lua', () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
    expect(files.sort()).toEqual(scripts.map((s) => s.file).sort());
    expect(scripts.map((s) => s.file)).toEqual(scripts.map((s) => `${s.name}-${s.numberOfKeys}.lua`));
    expect(new Set(scripts.map((s) => s.name)).size).toBe(SCRIPT_NAMES.length);
  });

  it.each(scripts.map((s) => [s.file, s] as const))('%s documents its keys, arguments and replies', (_, s) => {
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(s.lua)?.[1];
    expect(header).toBeDefined();
    const body = s.lua.slice(s.lua.indexOf(']]') + 2);
    for (let i = 1; i <= s.numberOfKeys; i++) expect(header).toContain(`KEYS[${i}]`);
    expect(header).not.toContain(`KEYS[${s.numberOfKeys + 1}]`);
    const usedKeys = [...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(Math.max(...usedKeys)).toBeLessThanOrEqual(s.numberOfKeys);
    const usedArgs = [...body.matchAll(/ARGV\[(\d+)\]/g)].map((m) => Number(m[1]));
    for (const a of new Set(usedArgs)) expect(header).toMatch(new RegExp(`ARGV\\[${a}(\\.\\.)?\\]`));
    expect(header).toContain('Returns');
    // Every failure code the body can return is documented and known to the translator.
    for (const m of body.matchAll(/return \{(-\d+)/g)) {
      const code = Number(m[1]);
      expect(FAILURE_REASONS.has(code)).toBe(true);
      expect(header).toContain(`{${code}`);
      expect(header).toContain(FAILURE_REASONS.get(code));
    }
  });

  it('gives each script the shared functions it calls, once, between its header and its body', () => {
    const callers = scripts.filter((s) => /\bnow_ms\(ARGV/.test(s.lua));
    expect(callers.map((s) => s.name).sort()).toEqual(
      ['accept-upload', 'begin-close', 'commit-close', 'init-run', 'open-round', 'register-client'].sort(),
    );
    for (const s of callers) {
      const definitions = [...s.lua.matchAll(/local function now_ms\(/g)];
      expect(definitions).toHaveLength(1);
      const at = definitions[0].index!;
      expect(at).toBeGreaterThan(s.lua.indexOf(']]'));
      expect(at).toBeLessThan(s.lua.indexOf('now_ms(ARGV'));
    }
    for (const s of scripts.filter((s) => !callers.includes(s))) expect(s.lua).not.toContain('now_ms');
  });
});
