#!/usr/bin/env node
/**
 * Control-plane benchmark of the aggregator (one replica, RedisRoundStore, real gRPC on loopback), K = 4096,
 * tau = 200, every client uploading 200 pairs:
 *
 *   1. submissions per second (target >= 5,000): 10,000 clients registered, one round with all of them
 *      selected, SubmitScalarGradients fired from a load-generator child process over a few grpc-js channels
 *      (requests serialized before the clock starts, so the generator's CPU goes to the RPCs themselves);
 *      1b. the same with the generator speaking gRPC's wire format over node:http2 directly (each request
 *      framed before the clock starts): the aggregator and its stack are the same, the generator takes less of
 *      the cores they share, as clients on other machines would;
 *   2. a round of 10,000 clients: time for the submissions and time from the last accepted submission to the
 *      next round being open (target <= 2 s), with the close broken down by store call;
 *   3. bytes per client per round on the wire (target 18 KB): GetTask (with catch-up) + SubmitScalarGradients
 *      on a fresh connection through a byte-counting TCP proxy, 1 round behind and many rounds behind.
 *
 *   npm run build && node bench/control-plane-bench.cjs [--quick] [--json out.json]
 *
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379); every run uses its own run ids and deletes their
 * keys at the end. Loads the compiled JS (services/aggregator/dist, @fedkseed/*).
 */
'use strict';

const fs = require('node:fs');
const http2 = require('node:http2');
const os = require('node:os');
const net = require('node:net');
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const { credentials } = require('@grpc/grpc-js');
const proto = require('@fedkseed/proto');
const { SeededRandom } = require('@fedkseed/zo');

const { CLK_TCK, readCpuTicks } = require('./lib/cpu-load.cjs');
const {
  AggregatorServiceClient,
  AggregatorServiceService,
  SubmitScalarGradientsRequest,
  SubmitScalarGradientsResponse,
  bearerMetadata,
  joinSecretMetadata,
  TaskStatus,
} = proto;

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
const JOIN_SECRET = 'bench-join-secret-0123456789';
const K = 4096;
const TAU = 200;

const nowMs = () => performance.timeOrigin + performance.now(); // epoch ms, comparable across processes

// ------------------------------------------------------------------------------------------------ helpers

/** Seeded uniform draws in [0, 1) from the project's Philox-based SeededRandom. */
function rng(seed) {
  const random = new SeededRandom(seed);
  return () => random.uniform();
}

function randomPairs(count, seed) {
  const next = rng(seed);
  const pairs = new Array(count);
  for (let i = 0; i < count; i++)
    pairs[i] = { seedIndex: Math.floor(next() * K), scalarGrad: Math.fround((next() - 0.5) * 40) };
  return pairs;
}

function uploadRequest(round, modelVersion, seed) {
  return {
    round,
    modelVersion,
    scalarGradients: randomPairs(TAU, seed),
    localStepsRun: TAU,
    skippedSteps: 0,
    meanLocalLoss: 2.5,
    trainDurationMs: 90_000,
  };
}

function unary(client, method, req, md) {
  return new Promise((resolve, reject) => client[method](req, md, (e, r) => (e ? reject(e) : resolve(r))));
}

/** Runs `worker(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n, limit, worker) {
  let next = 0;
  const run = async () => {
    for (let i = next++; i < n; i = next++) await worker(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, run));
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function makeChannels(address, count) {
  // A local subchannel pool per client: otherwise grpc-js shares one connection among equal targets.
  return Array.from(
    { length: count },
    () => new AggregatorServiceClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );
}

/** SubmitScalarGradients with a request serialized beforehand. */
function submitEncoded(client, bytes, md) {
  const { path: rpcPath, responseDeserialize } = AggregatorServiceService.submitScalarGradients;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      rpcPath,
      (b) => b,
      responseDeserialize,
      bytes,
      md,
      (e, r) => (e ? reject(e) : resolve(r)),
    ),
  );
}

/** A unary request in gRPC's message framing: 1 byte "not compressed", 4 bytes big-endian length, the message. */
function grpcFrame(message) {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/**
 * SubmitScalarGradients as a bare HTTP/2 stream (what grpc-js sends, without its client machinery): the framed
 * request, then the response message and the grpc-status trailer.
 */
function submitHttp2(session, framed, authorization) {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': AggregatorServiceService.submitScalarGradients.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization,
    });
    const chunks = [];
    let status;
    let message = '';
    const readStatus = (h) => {
      if (h['grpc-status'] !== undefined) {
        status = Number(h['grpc-status']);
        message = decodeURIComponent(h['grpc-message'] ?? '');
      }
    };
    stream.on('response', readStatus);
    stream.on('trailers', readStatus);
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', reject);
    stream.on('close', () => {
      if (status !== 0) {
        const e = new Error(message || `grpc-status ${status}`);
        e.code = status;
        e.details = message;
        return reject(e);
      }
      const body = Buffer.concat(chunks);
      resolve(SubmitScalarGradientsResponse.decode(body.subarray(5, 5 + body.readUInt32BE(1))));
    });
    stream.end(framed);
  });
}

const cpuSec = (u) => (u.user + u.system) / 1e6;

// ------------------------------------------------------------------------------------- load generator (child)

async function childMain() {
  let channels = [];
  let sessions = []; // raw HTTP/2, opened by the first submit with transport 'http2'
  let address = '';
  let clients = []; // { clientId, token, md }
  const reply = (msg) => process.send(msg);
  process.on('message', async (msg) => {
    try {
      if (msg.cmd === 'register') {
        address = msg.address;
        channels = makeChannels(msg.address, msg.channels);
        clients = new Array(msg.n);
        const cpu0 = process.cpuUsage();
        const t0 = nowMs();
        const md = joinSecretMetadata(JOIN_SECRET);
        await pool(msg.n, msg.concurrency, async (i) => {
          const r = await unary(
            channels[i % channels.length],
            'registerClient',
            {
              displayName: '',
              numExamples: 1 + (i % 50),
              clientVersion: 'bench/0',
              idempotencyKey: '',
              queueFed: false,
            },
            md,
          );
          clients[i] = {
            clientId: r.clientId,
            md: bearerMetadata(r.clientToken),
            authorization: `Bearer ${r.clientToken}`,
          };
        });
        reply({ ok: true, ms: nowMs() - t0, cpuS: cpuSec(process.cpuUsage(cpu0)) });
      } else if (msg.cmd === 'gettask-sample') {
        // GetTask latency of selected clients; `from` picks which clients.
        const lat = [];
        const statuses = {};
        await pool(msg.count, msg.concurrency, async (j) => {
          const i = (msg.from + j) % clients.length;
          const t = nowMs();
          const task = await unary(
            channels[i % channels.length],
            'getTask',
            { modelVersion: msg.modelVersion },
            clients[i].md,
          );
          lat.push(nowMs() - t);
          statuses[task.status] = (statuses[task.status] ?? 0) + 1;
        });
        lat.sort((a, b) => a - b);
        reply({ ok: true, p50: percentile(lat, 50), max: lat.at(-1), statuses });
      } else if (msg.cmd === 'submit') {
        // Submissions of clients [from, to): requests built and serialized before the clock starts, so the
        // timed window holds the RPCs only (as a load generator replaying captured requests would).
        const http2Transport = msg.transport === 'http2';
        if (http2Transport && sessions.length === 0) {
          sessions = Array.from({ length: channels.length }, () => http2.connect(`http://${address}`));
          await Promise.all(
            sessions.map((sn) => new Promise((ok, fail) => sn.once('connect', ok).once('error', fail))),
          );
        }
        const reqs = [];
        for (let i = msg.from; i < msg.to; i++) {
          const bytes = SubmitScalarGradientsRequest.encode(uploadRequest(msg.round, msg.modelVersion, i + 1)).finish();
          const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // grpc-js writes Buffers only
          reqs.push(http2Transport ? grpcFrame(message) : message);
        }
        const lat = [];
        let accepted = 0;
        let duplicate = 0;
        const errors = {};
        const cpu0 = process.cpuUsage();
        const t0 = nowMs();
        let tLast = t0;
        await pool(reqs.length, msg.concurrency, async (j) => {
          const i = msg.from + j;
          const t = nowMs();
          try {
            const r = http2Transport
              ? await submitHttp2(sessions[i % sessions.length], reqs[j], clients[i].authorization)
              : await submitEncoded(channels[i % channels.length], reqs[j], clients[i].md);
            const te = nowMs();
            lat.push(te - t);
            if (r.duplicate) duplicate++;
            else accepted++;
            if (te > tLast) tLast = te;
          } catch (e) {
            const k = `${e.code}:${(e.details ?? '').slice(0, 60)}`;
            errors[k] = (errors[k] ?? 0) + 1;
          }
        });
        lat.sort((a, b) => a - b);
        reply({
          ok: true,
          t0,
          tLast,
          accepted,
          duplicate,
          errors,
          cpuS: cpuSec(process.cpuUsage(cpu0)),
          lat: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.at(-1) },
        });
      } else if (msg.cmd === 'exit') {
        for (const c of channels) c.close();
        for (const sn of sessions) sn.close();
        reply({ ok: true, cpuS: cpuSec(process.cpuUsage()) });
        setImmediate(() => process.exit(0));
      }
    } catch (e) {
      reply({ ok: false, error: String(e && e.stack ? e.stack : e) });
    }
  });
  reply({ ready: true });
}

// ------------------------------------------------------------------------------------------------ parent

function parseArgs(argv) {
  const o = { quick: false, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--json') o.json = argv[++i];
    else if (argv[i] === '--child') o.child = true;
    else throw new Error(`unknown argument ${argv[i]} (use --quick, --json out.json)`);
  }
  return o;
}

const log = (m) => process.stderr.write(`[control-plane-bench] ${m}\n`);

class Bench {
  constructor(opts) {
    this.opts = opts;
    const { Redis } = require('ioredis');
    this.Redis = Redis;
    this.admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    this.runIds = [];
    this.store = require('@fedkseed/store');
    this.aggregator = require('@fedkseed/aggregator');
    this.kit = require('@fedkseed/process-kit');
    this.connections = [];
    this.childCpuS = 0;
  }

  async redisCpu() {
    const info = await this.admin.info('cpu');
    const v = (k) => Number((info.match(new RegExp(`${k}:([0-9.]+)`)) || [])[1] || 0);
    return v('used_cpu_sys') + v('used_cpu_user');
  }

  async commandStats() {
    const info = await this.admin.info('commandstats');
    const out = {};
    for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) out[m[1]] = { calls: +m[2], usec: +m[3] };
    return out;
  }

  static diffStats(a, b, top = 6) {
    const rows = [];
    for (const [k, v] of Object.entries(b)) {
      const calls = v.calls - (a[k]?.calls ?? 0);
      const usec = v.usec - (a[k]?.usec ?? 0);
      if (calls > 0) rows.push({ cmd: k, calls, ms: +(usec / 1000).toFixed(1) });
    }
    return rows.sort((x, y) => y.ms - x.ms).slice(0, top);
  }

  /** An aggregator in this process on its own Redis run; store calls are timed. */
  async startAggregator(env) {
    const runId = `cpb-${process.pid}-${randomBytes(5).toString('hex')}`;
    this.runIds.push(runId);
    // The store opens its own connection from the URL, exactly as the aggregator app does in production.
    const store = new this.store.RedisRoundStore({ redis: REDIS_URL, runId });
    this.connections.push(store);
    const calls = []; // { name, start, end, status? }
    for (const name of [
      'beginClose',
      'getAccumulated',
      'readUploads',
      'commitClose',
      'openRound',
      'listClientIds',
      'acceptUpload',
    ]) {
      const orig = store[name].bind(store);
      store[name] = async (...args) => {
        const start = nowMs();
        const r = await orig(...args);
        calls.push({ name, start, end: nowMs(), status: r && r.status, round: args[0] && args[0].round });
        return r;
      };
    }
    const events = [];
    const config = this.aggregator.loadConfig({
      RUN_ID: runId,
      RUN_SEED: '0x5eed',
      FEDKSEED_TOKEN_SECRET: TOKEN_SECRET,
      FEDKSEED_JOIN_SECRET: JOIN_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      NUM_CANDIDATE_SEEDS: String(K),
      NUM_LOCAL_STEPS: String(TAU),
      CLIENT_FRACTION: '1',
      QUORUM_FRACTION: '1',
      ROUND_DEADLINE_MS: '600000',
      ROUND_POLL_MS: '1000',
      CLOSE_LEASE_MS: '60000',
      NUM_ROUNDS: '0',
      DRAIN_GRACE_MS: '2000',
      // One generator process registers all 10,000 clients from one address, where devices would come from
      // many: the per-address RegisterClient limit is off. The per-client limits stay at their defaults.
      REGISTRATION_RATE_LIMIT_PER_S: '0',
      ...env,
    });
    const app = await this.aggregator.startAggregatorApp(config, {
      store,
      logger: this.kit.silentLogger('aggregator'),
      onEvent: (e) => events.push({ ...e, t: nowMs() }),
    });
    return { app, store, calls, events, runId, address: app.server.address };
  }

  async waitEvent(events, pred, what, timeoutMs = 120_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const e = events.find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  startChild() {
    const child = fork(__filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const queue = [];
    child.on('message', (m) => queue.shift()?.(m));
    const ready = new Promise((r) => queue.push(r));
    const ask = (msg) =>
      new Promise((resolve, reject) => {
        queue.push((m) => (m.ok ? resolve(m) : reject(new Error(`load generator: ${m.error}`))));
        child.send(msg);
      });
    return { child, ready, ask, exit: async () => (this.childCpuS += (await ask({ cmd: 'exit' })).cpuS) };
  }

  /**
   * One round of `n` clients: register, open (all selected), submit n-1, sample GetTask, submit the last one,
   * wait for the next round to open.
   */
  async roundScenario(name, n, { channels, concurrency, getTaskSamples, transport = 'grpc-js' }) {
    log(
      `${name}: aggregator + ${n} clients (${channels} ${transport} connections, ${concurrency} in flight, load generator in a child process)`,
    );
    const agg = await this.startAggregator({ MIN_CLIENTS_PER_ROUND: String(n), MAX_CLIENTS: String(n + 10) });
    const gen = this.startChild();
    await gen.ready;
    try {
      const reg = await gen.ask({ cmd: 'register', address: agg.address, n, channels, concurrency: 256 });
      log(`${name}: registered ${n} in ${(reg.ms / 1000).toFixed(2)} s`);
      const opened = await this.waitEvent(agg.events, (e) => e.type === 'opened' && e.round === 0, 'round 1 to open');
      if (opened.participants.length !== n)
        throw new Error(`round 1 has ${opened.participants.length} participants, wanted ${n}`);

      const sampleBefore = getTaskSamples
        ? await gen.ask({ cmd: 'gettask-sample', from: 0, count: getTaskSamples, concurrency: 8, modelVersion: 0 })
        : undefined;

      // Submissions of the first n-1 clients: the throughput measurement.
      const eld = monitorEventLoopDelay({ resolution: 10 });
      eld.enable();
      const redisCpu0 = await this.redisCpu();
      const stats0 = await this.commandStats();
      const machine0 = readCpuTicks();
      const cpu0 = process.cpuUsage();
      const w0 = nowMs();
      const sub = await gen.ask({
        cmd: 'submit',
        from: 0,
        to: n - 1,
        round: 1,
        modelVersion: 0,
        concurrency,
        transport,
      });
      const wall = nowMs() - w0;
      const serverCpu = cpuSec(process.cpuUsage(cpu0));
      const machine1 = readCpuTicks();
      const redisCpu = (await this.redisCpu()) - redisCpu0;
      const stats = Bench.diffStats(stats0, await this.commandStats());
      eld.disable();
      if (sub.accepted === 0) throw new Error(`no submission was accepted: ${JSON.stringify(sub.errors)}`);
      const submitS = (sub.tLast - sub.t0) / 1000;
      const machineBusyS = machine0 && machine1 ? (machine1.busy - machine0.busy) / CLK_TCK : NaN;
      const result = {
        clients: n,
        transport,
        channels,
        concurrency,
        register_s: +(reg.ms / 1000).toFixed(3),
        register_per_s: Math.round(n / (reg.ms / 1000)),
        submissions: sub.accepted,
        duplicates: sub.duplicate,
        errors: sub.errors,
        submit_wall_s: +submitS.toFixed(3),
        submissions_per_s: Math.round(sub.accepted / submitS),
        submit_latency_ms: { p50: +sub.lat.p50.toFixed(2), p99: +sub.lat.p99.toFixed(2), max: +sub.lat.max.toFixed(2) },
        cpu_during_submit: {
          wall_s: +(wall / 1000).toFixed(3),
          aggregator_process_cores: +(serverCpu / (wall / 1000)).toFixed(2),
          load_generator_cores: +(sub.cpuS / (wall / 1000)).toFixed(2),
          redis_cores: +(redisCpu / (wall / 1000)).toFixed(2),
          other_cores: +((machineBusyS - serverCpu - sub.cpuS - redisCpu) / (wall / 1000)).toFixed(2),
          aggregator_event_loop_delay_ms: {
            p50: +(eld.percentile(50) / 1e6).toFixed(1),
            max: +(eld.max / 1e6).toFixed(1),
          },
        },
        redis_top_commands_during_submit: stats,
      };

      const sampleAfter = getTaskSamples
        ? await gen.ask({ cmd: 'gettask-sample', from: 0, count: getTaskSamples, concurrency: 8, modelVersion: 0 })
        : undefined;
      if (sampleBefore)
        result.gettask_latency_ms = {
          at_0_uploads: { p50: +sampleBefore.p50.toFixed(1), max: +sampleBefore.max.toFixed(1) },
          [`at_${n - 1}_uploads`]: { p50: +sampleAfter.p50.toFixed(1), max: +sampleAfter.max.toFixed(1) },
        };

      // The last submission reaches quorum: time to the next round being open.
      const stats1 = await this.commandStats();
      const last = await gen.ask({
        cmd: 'submit',
        from: n - 1,
        to: n,
        round: 1,
        modelVersion: 0,
        concurrency: 1,
        transport,
      });
      if (last.accepted !== 1) throw new Error(`the last submission was not accepted: ${JSON.stringify(last.errors)}`);
      const next = await this.waitEvent(agg.events, (e) => e.type === 'opened' && e.round === 1, 'round 2 to open');
      const accepts = agg.calls.filter((c) => c.name === 'acceptUpload' && c.status === 'accepted');
      const tAccept = Math.max(...accepts.map((c) => c.end));
      const closeStats = Bench.diffStats(stats1, await this.commandStats());
      const step = (name) => agg.calls.find((c) => c.name === name && c.start >= tAccept - 1);
      const steps = ['beginClose', 'getAccumulated', 'readUploads', 'commitClose', 'listClientIds', 'openRound'].map(
        step,
      );
      const breakdown = {};
      let prev = tAccept;
      for (const [i, c] of steps.entries()) {
        if (!c) continue;
        const label = [
          'beginClose',
          'getAccumulated',
          'readUploads',
          'aggregateRound+commitClose',
          'listClientIds',
          'select+openRound',
        ][i];
        if (i === 0) breakdown['accept -> beginClose start (pass start)'] = +(c.start - prev).toFixed(1);
        breakdown[label] = +(c.end - (i === 0 ? c.start : prev)).toFixed(1);
        if (i === 3) breakdown['  of which commitClose'] = +(c.end - c.start).toFixed(1);
        if (i === 5) breakdown['  of which openRound'] = +(c.end - c.start).toFixed(1);
        prev = c.end;
      }
      breakdown['openRound -> opened event'] = +(next.t - prev).toFixed(1);
      result.last_accept_to_next_round_open_ms = +(next.t - tAccept).toFixed(1);
      result.last_response_to_next_round_open_ms = +(next.t - last.tLast).toFixed(1);
      result.close_breakdown_ms = breakdown;
      result.redis_top_commands_during_close = closeStats;
      result.uploads_in_round = agg.events.find((e) => e.type === 'closed' && e.round === 0)?.numUploads;
      return result;
    } finally {
      await gen.exit().catch(() => undefined);
      await agg.app.drain();
    }
  }

  /** Bytes of one client's round through a counting proxy, against a run with `behind` rounds already closed. */
  async wireScenario(allowLossy, roundsBehindDense) {
    const per = 10; // clients per round, as in packages/proto/src/wire-budget.test.ts
    const agg = await this.startAggregator({
      MIN_CLIENTS_PER_ROUND: String(per),
      ALLOW_LOSSY_CATCH_UP: allowLossy ? 'true' : 'false',
    });
    const [direct] = makeChannels(agg.address, 1);
    try {
      const clients = [];
      for (let i = 0; i < per; i++) {
        const r = await unary(
          direct,
          'registerClient',
          { displayName: '', numExamples: 1 + i, clientVersion: 'bench/0', idempotencyKey: '', queueFed: false },
          joinSecretMetadata(JOIN_SECRET),
        );
        clients.push({ token: r.clientToken, md: bearerMetadata(r.clientToken) });
      }
      // roundsBehindDense rounds, every client uploading 200 pairs each.
      for (let v = 0; v < roundsBehindDense; v++) {
        await this.waitEvent(agg.events, (e) => e.type === 'opened' && e.round === v, `round ${v + 1} to open`);
        await Promise.all(
          clients.map(async (c, i) => {
            const task = await unary(direct, 'getTask', { modelVersion: v }, c.md);
            if (task.status !== TaskStatus.TASK_STATUS_TRAIN) throw new Error(`expected TRAIN, got ${task.status}`);
            await unary(
              direct,
              'submitScalarGradients',
              uploadRequest(task.round, task.modelVersion, 1000 * v + i),
              c.md,
            );
          }),
        );
      }
      await this.waitEvent(
        agg.events,
        (e) => e.type === 'opened' && e.round === roundsBehindDense,
        'the measured round to open',
      );
      const port = Number(agg.address.split(':').at(-1));
      const measure = async (client, modelVersion) => {
        let up = 0;
        let down = 0;
        const proxy = net.createServer((downstream) => {
          const upstream = net.connect(port, '127.0.0.1');
          downstream.on('data', (d) => ((up += d.length), upstream.write(d)));
          upstream.on('data', (d) => ((down += d.length), downstream.write(d)));
          downstream.on('close', () => upstream.destroy());
          upstream.on('close', () => downstream.destroy());
          downstream.on('error', () => undefined);
          upstream.on('error', () => undefined);
        });
        await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
        const [ch] = makeChannels(`127.0.0.1:${proxy.address().port}`, 1);
        try {
          const task = await unary(ch, 'getTask', { modelVersion }, client.md);
          if (task.status !== TaskStatus.TASK_STATUS_TRAIN) throw new Error(`expected TRAIN, got ${task.status}`);
          const enc =
            task.catchUp?.encoding?.$case ??
            Object.keys(task.catchUp ?? {})
              .filter((k) => !/Version/.test(k))
              .join('+');
          await unary(
            ch,
            'submitScalarGradients',
            uploadRequest(task.round, task.modelVersion, 777 + modelVersion),
            client.md,
          );
          ch.close();
          await new Promise((r) => setTimeout(r, 100)); // let the last frames (GOAWAY) drain through the proxy
          return {
            bytes: up + down,
            up,
            down,
            from: task.catchUp?.fromVersion,
            to: task.catchUp?.toVersion,
            encoding: enc,
          };
        } finally {
          ch.close();
          await new Promise((r) => proxy.close(r));
        }
      };
      const sparse = await measure(clients[0], roundsBehindDense - 1);
      const dense = await measure(clients[1], 0);
      return {
        token_bytes: clients[0].token.length,
        sparse_1_behind: sparse,
        [`dense_${roundsBehindDense}_behind`]: dense,
      };
    } finally {
      direct.close();
      await agg.app.drain();
    }
  }

  async cleanup() {
    let deleted = 0;
    for (const runId of this.runIds)
      deleted += await this.store.deleteRunKeys(this.admin, new this.store.RunKeys(runId));
    await Promise.all(this.connections.map((c) => c.close().catch(() => undefined)));
    await this.admin.quit();
    return deleted;
  }
}

function printReport(out) {
  const pf = (ok) => (ok ? 'PASS' : 'FAIL');
  const L = [];
  const m = out.machine;
  L.push(
    `control-plane bench${out.quick ? ' (--quick)' : ''}: K = ${K}, tau = ${TAU}, 200 pairs per upload, 1 aggregator replica, RedisRoundStore`,
  );
  L.push(
    `machine: ${m.cpu} x ${m.logical_cpus} logical CPUs (aggregator, load generator and Redis share them), ${m.os}`,
  );
  L.push(`node ${m.node}, Redis ${m.redis_version} at ${m.redis_url}, grpc-js ${m.grpc_js}`);
  L.push(
    `other CPU load (machine busy minus this bench's processes and Redis) over the run: ${m.other_cpu_cores_over_run} cores; loadavg at start ${m.loadavg_start}`,
  );
  L.push('');
  const t = out.results.throughput;
  const t2 = out.results.throughput_http2;
  const r = out.results.round;
  const w = out.results.wire;
  L.push(`| measurement | value | target | |`);
  L.push(`| --- | --- | --- | --- |`);
  L.push(
    `| 1. submissions/s (${t.clients} clients, ${t.channels} channels, ${t.concurrency} in flight) | ${t.submissions_per_s} /s (${t.submissions} in ${t.submit_wall_s} s) | >= 5,000 /s | ${pf(t.submissions_per_s >= 5000)} |`,
  );
  L.push(
    `| 1b. same, generator on bare HTTP/2 (${t2.channels} connections) | ${t2.submissions_per_s} /s (${t2.submissions} in ${t2.submit_wall_s} s) | >= 5,000 /s | ${pf(t2.submissions_per_s >= 5000)} |`,
  );
  L.push(
    `| 1b / 1 (side by side; the aggregator is the same) | ${(t2.submissions_per_s / t.submissions_per_s).toFixed(2)}x | (info) | |`,
  );
  L.push(
    `| 2a. round of ${r.clients} clients: submissions | ${r.submissions} in ${r.submit_wall_s} s (${r.submissions_per_s} /s) | (info) | |`,
  );
  L.push(
    `| 2b. last accepted submission -> next round open | ${(r.last_accept_to_next_round_open_ms / 1000).toFixed(3)} s (${r.uploads_in_round} uploads x 200 pairs) | <= 2 s | ${pf(r.last_accept_to_next_round_open_ms <= 2000)} |`,
  );
  const dk = Object.keys(w.lossless).find((k) => k.startsWith('dense_'));
  const rows3 = [
    ['3a', 'bytes/client/round, 1 round behind (default: lossy allowed)', w.lossy_bf16.sparse_1_behind],
    ['3b', `bytes/client/round, ${dk.split('_')[1]} rounds behind (default: lossy allowed)`, w.lossy_bf16[dk]],
    ['3c', 'same, 1 behind, ALLOW_LOSSY_CATCH_UP=false (lossless)', w.lossless.sparse_1_behind],
    ['3d', `same, ${dk.split('_')[1]} behind, ALLOW_LOSSY_CATCH_UP=false (lossless)`, w.lossless[dk]],
  ];
  for (const [id, what, m] of rows3)
    L.push(`| ${id}. ${what} | ${m.bytes} B (${m.encoding}) | <= 18,000 B | ${pf(m.bytes <= 18000)} |`);
  L.push('');
  for (const [label, s] of [
    ['1', t],
    ['1b', t2],
    ['2', r],
  ]) {
    L.push(
      `[${label}] ${s.clients} clients: register ${s.register_s} s (${s.register_per_s} /s); submit latency p50 ${s.submit_latency_ms.p50} ms, p99 ${s.submit_latency_ms.p99} ms; errors ${JSON.stringify(s.errors)}`,
    );
    L.push(`    CPU during submissions (cores, of ${m.logical_cpus}): ${JSON.stringify(s.cpu_during_submit)}`);
    L.push(
      `    Redis top commands during submissions: ${s.redis_top_commands_during_submit.map((c) => `${c.cmd} ${c.calls} calls ${c.ms} ms`).join('; ')}`,
    );
    if (s.gettask_latency_ms)
      L.push(`    GetTask latency (selected client, 8 in flight): ${JSON.stringify(s.gettask_latency_ms)}`);
    L.push(
      `    last accepted -> next round open: ${s.last_accept_to_next_round_open_ms} ms; breakdown: ${JSON.stringify(s.close_breakdown_ms)}`,
    );
    L.push(
      `    Redis top commands during close+open: ${s.redis_top_commands_during_close.map((c) => `${c.cmd} ${c.calls} calls ${c.ms} ms`).join('; ')}`,
    );
  }
  L.push(
    `[3] token ${w.lossless.token_bytes} chars; up/down bytes: lossless ${JSON.stringify(w.lossless)}; lossy ${JSON.stringify(w.lossy_bf16)}`,
  );
  L.push('');
  L.push('How measured: submissions/s = accepted uploads / (first send -> last response) in the load-generator child;');
  L.push(
    '1b frames each request as grpc-js would (5-byte gRPC prefix, the same bearer header) on bare node:http2 streams;',
  );
  L.push(
    '"last accepted -> next round open" = end of the store acceptUpload that returned accepted for the last upload (timed',
  );
  L.push(
    'by wrapping the RedisRoundStore instance) -> the lifecycle onEvent "opened" of the next round (after store.openRound',
  );
  L.push(
    'resolved), both in the aggregator process; wire bytes = both directions of a fresh TCP connection through a counting',
  );
  L.push('proxy (HTTP/2 preface, SETTINGS, HEADERS with the real bearer token, gRPC framing, GOAWAY on close).');
  L.push(`total bench time ${out.total_s} s; deleted ${out.deleted_keys} Redis keys of runs ${out.run_ids.join(', ')}`);
  process.stdout.write(L.join('\n') + '\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) return childMain();
  const t0 = nowMs();
  const machineStart = readCpuTicks();
  const cpuStart = process.cpuUsage();
  const bench = new Bench(opts);
  const redisCpuStart = await bench.redisCpu();
  const info = await bench.admin.info('server');
  const cpus = os.cpus();
  const out = {
    machine: {
      cpu: cpus.length ? cpus[0].model : 'unknown',
      logical_cpus: cpus.length,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      grpc_js: require('@grpc/grpc-js/package.json').version,
      redis_version: (info.match(/redis_version:(\S+)/) || [])[1],
      redis_url: REDIS_URL,
      loadavg_start: os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    },
    quick: opts.quick,
    results: {},
  };
  let childCpuS = 0;
  try {
    const sizes = opts.quick
      ? { thrN: 400, roundN: 1000, dense: 20, samples: 8 }
      : { thrN: 10_000, roundN: 10_000, dense: 20, samples: 16 };
    out.results.throughput = await bench.roundScenario('throughput', sizes.thrN, { channels: 16, concurrency: 256 });
    out.results.throughput_http2 = await bench.roundScenario('throughput, HTTP/2 generator', sizes.thrN, {
      channels: 16,
      concurrency: 256,
      transport: 'http2',
    });
    out.results.round = await bench.roundScenario('round', sizes.roundN, {
      channels: 16,
      concurrency: 256,
      getTaskSamples: sizes.samples,
    });
    log('wire bytes (ALLOW_LOSSY_CATCH_UP=false)');
    const lossless = await bench.wireScenario(false, sizes.dense);
    log('wire bytes (ALLOW_LOSSY_CATCH_UP=true, the default)');
    const lossy = await bench.wireScenario(true, sizes.dense);
    out.results.wire = { lossless, lossy_bf16: lossy };
  } finally {
    out.run_ids = bench.runIds;
    const redisCpu = (await bench.redisCpu()) - redisCpuStart;
    out.deleted_keys = await bench.cleanup();
    const machineEnd = readCpuTicks();
    const wallS = (nowMs() - t0) / 1000;
    childCpuS = bench.childCpuS; // as the load generators reported just before exiting
    const own = cpuSec(process.cpuUsage(cpuStart));
    out.machine.other_cpu_cores_over_run =
      machineStart && machineEnd
        ? `${(((machineEnd.busy - machineStart.busy) / CLK_TCK - own - redisCpu - childCpuS) / wallS).toFixed(2)}`
        : 'n/a';
    out.total_s = +wallS.toFixed(1);
  }
  printReport(out);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
