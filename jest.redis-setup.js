/**
 * Jest global setup: the store and service suites need a Redis (REDIS_URL, default redis://127.0.0.1:6379).
 * When none answers on a local address and `redis-server` is installed, start a throwaway one on that port
 * (nothing kept on disk) for the duration of the run; jest.redis-teardown.js stops it. Otherwise the Redis
 * suites fail with their own message (install redis-server, or set FEDKSEED_SKIP_REDIS_TESTS=1 to skip them).
 */
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

module.exports = async () => {
  if (process.env.FEDKSEED_SKIP_REDIS_TESTS === '1') return;
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 6379);
  if (await answers(host, port)) return;
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) return;
  if (spawnSync('redis-server', ['--version']).status !== 0) return;
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', host === 'localhost' ? '127.0.0.1' : host, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  globalThis.__FEDKSEED_TEST_REDIS__ = child;
  for (let i = 0; i < 100; i++) {
    if (await answers(host, port)) {
      process.stderr.write(`jest: started a throwaway redis-server on ${host}:${port} for the Redis suites\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`redis-server did not start on ${host}:${port}`);
};
