/**
 * The server lifecycle over real gRPC on localhost:0: health Check and Watch, error mapping as a client
 * sees it, TLS and mutual TLS from PEM files, and the drain (graceful, then forced past the grace).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  credentials,
  makeGenericClientConstructor,
  status,
  type Client,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { Logger, silentLogger } from '@fedkseed/process-kit';
import { ErrorReason, readErrorDetail, type KnownErrorReason } from '@fedkseed/proto';

import {
  ApiError,
  HealthClient,
  ServingStatus,
  channelCredentials,
  startGrpcServer,
  unaryHandler,
  type RunningGrpcServer,
} from '../src';

interface EchoRequest {
  text: string;
  delayMs?: number;
  failWith?: KnownErrorReason;
}

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};

const EchoService: ServiceDefinition = {
  echo: {
    path: '/test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

const logger = silentLogger();
/** Handler delays still running, awaited at the end so that no timer outlives the suite. */
const pendingDelays = new Set<Promise<unknown>>();
const echoImplementation = {
  echo: unaryHandler(logger, async (req: EchoRequest) => {
    if (req.delayMs) {
      const delay = sleep(req.delayMs);
      pendingDelays.add(delay);
      await delay;
      pendingDelays.delete(delay);
    }
    if (req.failWith) throw new ApiError(req.failWith, 'asked to fail', { field: 'text' });
    if (req.text === 'bug') throw new Error('a bug');
    return { text: req.text };
  }),
};

const EchoClient = makeGenericClientConstructor(EchoService, 'test.Echo');
const FIXTURES = join(__dirname, 'fixtures');

function echo(client: Client, req: EchoRequest): Promise<{ text: string }> {
  return new Promise((resolve, reject) =>
    (client as unknown as { echo: CallableFunction }).echo(req, (err: ServiceError | null, res: { text: string }) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

async function expectRejected(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('startGrpcServer', () => {
  const servers: RunningGrpcServer[] = [];
  const clients: { close(): void }[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.drain({ graceMs: 100 });
  });
  afterAll(async () => {
    await Promise.all(pendingDelays);
  });

  async function start(tls?: Parameters<typeof startGrpcServer>[0]['tls']): Promise<RunningGrpcServer> {
    const server = await startGrpcServer({
      host: 'localhost',
      port: 0,
      tls,
      logger,
      services: [{ name: 'test.Echo', definition: EchoService, implementation: echoImplementation }],
    });
    servers.push(server);
    return server;
  }

  it('binds a free port, serves, and reports health for each service and the whole server', async () => {
    const server = await start();
    expect(server.port).toBeGreaterThan(0);
    const client = new EchoClient(server.address, credentials.createInsecure());
    const health = new HealthClient(server.address, credentials.createInsecure());
    clients.push(client, health);
    expect(await echo(client, { text: 'hi' })).toEqual({ text: 'hi' });
    expect(await health.check('')).toBe(ServingStatus.SERVING);
    expect(await health.check('test.Echo')).toBe(ServingStatus.SERVING);
    expect((await expectRejected(health.check('nope'))).code).toBe(status.NOT_FOUND);
  });

  it('sends ApiErrors with their status code and ErrorDetail trailer, and bugs as INTERNAL', async () => {
    const server = await start();
    const client = new EchoClient(server.address, credentials.createInsecure());
    clients.push(client);
    const err = await expectRejected(echo(client, { text: 'x', failWith: ErrorReason.ERROR_REASON_NOT_SELECTED }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(readErrorDetail(err.metadata)).toEqual({
      reason: ErrorReason.ERROR_REASON_NOT_SELECTED,
      metadata: { field: 'text' },
    });
    const bug = await expectRejected(echo(client, { text: 'bug' }));
    expect(bug.code).toBe(status.INTERNAL);
    expect(bug.details).toBe('internal error');
  });

  it('refuses a request that does not decode with INVALID_ARGUMENT/MALFORMED_REQUEST, before any handler runs', async () => {
    const handled: unknown[] = [];
    const server = await startGrpcServer({
      host: 'localhost',
      port: 0,
      logger,
      services: [
        {
          name: 'test.Echo',
          definition: EchoService,
          implementation: { echo: unaryHandler(logger, async (req: EchoRequest) => (handled.push(req), req)) },
        },
      ],
    });
    servers.push(server);
    const client = new EchoClient(server.address, credentials.createInsecure());
    clients.push(client);
    const sendBytes = (path: string, bytes: Buffer) =>
      new Promise<unknown>((resolve, reject) =>
        client.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
    // Before, grpc-js answered INTERNAL ("Error deserializing request") with no ErrorDetail.
    const err = await expectRejected(sendBytes(EchoService.echo.path, Buffer.from('{"text": ')));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(readErrorDetail(err.metadata)).toEqual({ reason: ErrorReason.ERROR_REASON_MALFORMED_REQUEST, metadata: {} });
    expect(err.details).toMatch(/^the request message does not decode: /);
    expect(handled).toEqual([]);
    // The health service's own decoder too (wire type 7 does not exist).
    const healthErr = await expectRejected(sendBytes('/grpc.health.v1.Health/Check', Buffer.from([0x0f])));
    expect(healthErr.code).toBe(status.INVALID_ARGUMENT);
    expect(readErrorDetail(healthErr.metadata)?.reason).toBe(ErrorReason.ERROR_REASON_MALFORMED_REQUEST);
    expect(await echo(client, { text: 'still serving' })).toEqual({ text: 'still serving' });
    expect(handled).toEqual([{ text: 'still serving' }]);
  });

  it('serves TLS and mutual TLS from PEM files', async () => {
    const tlsServer = await start({ certFile: join(FIXTURES, 'server.crt'), keyFile: join(FIXTURES, 'server.key') });
    const tlsClient = new EchoClient(tlsServer.address, channelCredentials({ caFile: join(FIXTURES, 'ca.crt') }));
    clients.push(tlsClient);
    expect(await echo(tlsClient, { text: 'tls' })).toEqual({ text: 'tls' });

    const mtlsServer = await start({
      certFile: join(FIXTURES, 'server.crt'),
      keyFile: join(FIXTURES, 'server.key'),
      caFile: join(FIXTURES, 'ca.crt'),
    });
    const withCert = new EchoClient(
      mtlsServer.address,
      channelCredentials({
        caFile: join(FIXTURES, 'ca.crt'),
        certFile: join(FIXTURES, 'client.crt'),
        keyFile: join(FIXTURES, 'client.key'),
      }),
    );
    const withoutCert = new EchoClient(mtlsServer.address, channelCredentials({ caFile: join(FIXTURES, 'ca.crt') }));
    clients.push(withCert, withoutCert);
    expect(await echo(withCert, { text: 'mtls' })).toEqual({ text: 'mtls' });
    expect((await expectRejected(echo(withoutCert, { text: 'no cert' }))).code).toBe(status.UNAVAILABLE);
  });

  it('drains: NOT_SERVING to watchers, in-flight calls finish, new connections are refused', async () => {
    const server = await start();
    const client = new EchoClient(server.address, credentials.createInsecure());
    const health = new HealthClient(server.address, credentials.createInsecure());
    clients.push(client, health);
    const seen: ServingStatus[] = [];
    const watchEnded = new Promise<void>((resolve) =>
      health.watch(
        'test.Echo',
        (s) => seen.push(s),
        () => resolve(),
      ),
    );
    while (seen.length === 0) await sleep(5);

    const inFlight = echo(client, { text: 'slow', delayMs: 200 });
    await sleep(50);
    const outcome = await server.drain({ graceMs: 5000 });
    expect(outcome).toBe('graceful');
    expect(await inFlight).toEqual({ text: 'slow' });
    await watchEnded;
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    expect(server.health.status('')).toBe(ServingStatus.NOT_SERVING);

    const late = new EchoClient(server.address, credentials.createInsecure());
    clients.push(late);
    const err = await expectRejected(
      new Promise((resolve, reject) =>
        (late as unknown as { echo: CallableFunction }).echo(
          { text: 'late' },
          { deadline: Date.now() + 1000 },
          (e: ServiceError | null, r: unknown) => (e ? reject(e) : resolve(r)),
        ),
      ),
    );
    expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(err.code);
  });

  it('forces the shutdown when in-flight calls outlast the grace', async () => {
    const server = await start();
    const client = new EchoClient(server.address, credentials.createInsecure());
    clients.push(client);
    const stuck = expectRejected(echo(client, { text: 'stuck', delayMs: 1500 }));
    await sleep(50);
    const started = Date.now();
    expect(await server.drain({ graceMs: 100 })).toBe('forced');
    expect(Date.now() - started).toBeLessThan(1000);
    expect([status.CANCELLED, status.UNAVAILABLE]).toContain((await stuck).code);
    // A second drain returns the first outcome.
    expect(await server.drain()).toBe('forced');
  });
});

describe('a server without TLS', () => {
  it('warns when it listens beyond loopback, and not on loopback', async () => {
    for (const [host, warns] of [
      ['127.0.0.1', false],
      ['0.0.0.0', true],
    ] as const) {
      const lines: string[] = [];
      const logger = new Logger({ service: 'test', write: (line) => lines.push(line) });
      const server = await startGrpcServer({ host, port: 0, logger, services: [] });
      await server.drain({ graceMs: 10 });
      const warned = lines
        .map((l) => JSON.parse(l) as { level: string; msg: string })
        .filter((l) => l.level === 'warn');
      expect({ host, warned: warned.map((l) => l.msg) }).toEqual({
        host,
        warned: warns ? ['serving without TLS on a non-loopback interface'] : [],
      });
    }
  });
});
