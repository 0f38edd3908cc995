/**
 * What the bench reads from Redis itself: its CPU seconds, per-command statistics, memory (INFO's used_memory for
 * the whole server, MEMORY USAGE summed over one run's keys), and the cleanup of the bench's runs.
 */
import { deleteRunKeys, RunKeys, scanRunKeys } from '@fedkseed/store';
import { Redis } from 'ioredis';

export interface CommandStat {
  cmd: string;
  calls: number;
  ms: number;
}

type Stats = Record<string, { calls: number; usec: number }>;

export class RedisProbe {
  readonly admin: Redis;

  constructor(url: string) {
    this.admin = new Redis(url, { maxRetriesPerRequest: 1 });
  }

  private async info(section: string, field: string): Promise<number> {
    const info = await this.admin.info(section);
    return Number(new RegExp(`${field}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  }

  /** Redis's own CPU (user + system) since it started, in seconds. */
  async cpuSeconds(): Promise<number> {
    return (await this.info('cpu', 'used_cpu_sys')) + (await this.info('cpu', 'used_cpu_user'));
  }

  /** INFO memory used_memory: every key of the server, this bench's and anyone else's (bytes). */
  usedMemoryBytes(): Promise<number> {
    return this.info('memory', 'used_memory');
  }

  /** MEMORY USAGE summed over the run's keys (bytes): this run's data alone, whatever else the server holds. */
  async runKeysBytes(runId: string): Promise<{ keys: number; bytes: number }> {
    const keys = await scanRunKeys(this.admin, new RunKeys(runId));
    let bytes = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const sizes = await Promise.all(batch.map((k) => this.admin.memory('USAGE', k, 'SAMPLES', 0)));
      for (const s of sizes) bytes += Number(s ?? 0);
    }
    return { keys: keys.length, bytes };
  }

  async serverVersion(): Promise<string | undefined> {
    return /redis_version:(\S+)/.exec(await this.admin.info('server'))?.[1];
  }

  async commandStats(): Promise<Stats> {
    const info = await this.admin.info('commandstats');
    const out: Stats = {};
    for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) out[m[1]] = { calls: +m[2], usec: +m[3] };
    return out;
  }

  /** The `top` commands by time between two commandStats readings. */
  static diffStats(a: Stats, b: Stats, top = 6): CommandStat[] {
    const rows: CommandStat[] = [];
    for (const [cmd, v] of Object.entries(b)) {
      const calls = v.calls - (a[cmd]?.calls ?? 0);
      const usec = v.usec - (a[cmd]?.usec ?? 0);
      if (calls > 0) rows.push({ cmd, calls, ms: +(usec / 1000).toFixed(1) });
    }
    return rows.sort((x, y) => y.ms - x.ms).slice(0, top);
  }

  /** Deletes every key of the runs; the number deleted. */
  async deleteRuns(runIds: string[]): Promise<number> {
    let deleted = 0;
    for (const runId of runIds) deleted += await deleteRunKeys(this.admin, new RunKeys(runId));
    return deleted;
  }

  async close(): Promise<void> {
    await this.admin.quit();
  }
}
