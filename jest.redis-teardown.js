/** Jest global teardown: stops the throwaway redis-server that jest.redis-setup.js started, if any. */
module.exports = async () => {
  const child = globalThis.__FEDKSEED_TEST_REDIS__;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
};
