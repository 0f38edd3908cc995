/**
 * The store's Lua scripts, one atomic state transition each, kept as `packages/store/lua/<name>-<numKeys>.lua`
 * (outside src so that the same relative path works from src/ under ts-jest and from dist/ once built; the
 * package ships the folder). The number of keys is read from the file name, the single place it is stated.
 * Helpers the scripts share live once in `lua/lib/<function>.lua`; each script gets, right after its header,
 * the ones its body calls.
 *
 * Scripts are registered with `defineCommand`, so ioredis sends EVALSHA and falls back to EVAL when the
 * server does not know the script (after a restart or SCRIPT FLUSH). They are called through the Buffer
 * variant, so binary replies and arguments cross unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import type { Cluster, Redis } from 'ioredis';

/** `packages/store/lua`, from src/redis or dist/redis alike. */
export const LUA_DIR = path.join(__dirname, '..', '..', 'lua');

export const SCRIPT_NAMES = [
  'init-run',
  'register-client',
  'open-round',
  'accept-upload',
  'begin-close',
  'commit-close',
  'record-seed-stats',
  'keep-seed-distribution',
  'round-status',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface LuaScript {
  name: ScriptName;
  file: string;
  numberOfKeys: number;
  lua: string;
}

let cached: Map<ScriptName, LuaScript> | undefined;

/** Shared Lua functions by name (`lua/lib/<name>.lua` defines `local function <name>`). */
function loadLuaLibrary(dir: string): Map<string, string> {
  const libDir = path.join(dir, 'lib');
  const lib = new Map<string, string>();
  for (const file of readdirSync(libDir).filter((f) => f.endsWith('.lua')))
    lib.set(file.slice(0, -'.lua'.length), readFileSync(path.join(libDir, file), 'utf8'));
  return lib;
}

/** The script's text with the shared functions its body calls inserted after its header comment. */
function withLibrary(text: string, lib: Map<string, string>): string {
  const bodyStart = text.startsWith('--[[') ? text.indexOf(']]') + 2 : 0;
  const body = text.slice(bodyStart);
  const used = [...lib].filter(([name]) => new RegExp(`\\b${name}\\(`).test(body)).map(([, code]) => code);
  return used.length === 0 ? text : `${text.slice(0, bodyStart)}\n${used.join('\n')}${body}`;
}

/** Reads every script once per process; throws if one is missing or misnamed. */
export function loadLuaScripts(dir = LUA_DIR): Map<ScriptName, LuaScript> {
  if (cached && dir === LUA_DIR) return cached;
  const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
  const lib = loadLuaLibrary(dir);
  const scripts = new Map<ScriptName, LuaScript>();
  for (const name of SCRIPT_NAMES) {
    const matches = files.filter((f) => new RegExp(`^${name}-\\d+\\.lua$`).test(f));
    if (matches.length !== 1) throw new Error(`expected one ${name}-<numKeys>.lua in ${dir}, found ${matches.length}`);
    const file = matches[0];
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    const lua = withLibrary(readFileSync(path.join(dir, file), 'utf8'), lib);
    scripts.set(name, { name, file, numberOfKeys, lua });
  }
  if (dir === LUA_DIR) cached = scripts;
  return scripts;
}

export type ScriptArg = string | Buffer | number;
/** Runs one script: keys (exactly its numberOfKeys) then arguments; resolves to the raw (Buffer) reply. */
export type ScriptRunner = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

const commandName = (name: ScriptName) => `fedkseed_${name.replace(/-/g, '_')}`;

type CommandHost = Record<string, ((...args: ScriptArg[]) => Promise<unknown>) | undefined>;

/** Defines every script on the connection (once per connection) and returns a runner per script. */
export function defineScripts(redis: Redis | Cluster): Record<ScriptName, ScriptRunner> {
  const host = redis as unknown as CommandHost;
  const runners = {} as Record<ScriptName, ScriptRunner>;
  for (const script of loadLuaScripts().values()) {
    const name = commandName(script.name);
    if (typeof host[`${name}Buffer`] !== 'function')
      redis.defineCommand(name, { lua: script.lua, numberOfKeys: script.numberOfKeys });
    runners[script.name] = (keys, args) => {
      if (keys.length !== script.numberOfKeys)
        throw new Error(`${script.file} takes ${script.numberOfKeys} keys, got ${keys.length}`);
      return host[`${name}Buffer`]!.call(redis, ...keys, ...args);
    };
  }
  return runners;
}
