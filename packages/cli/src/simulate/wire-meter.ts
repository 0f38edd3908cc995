/**
 * Bytes on the wire between clients and the aggregator: a loopback TCP proxy in front of the aggregator that
 * counts every byte in both directions (HTTP/2 preface, SETTINGS, HEADERS with the bearer token, gRPC framing,
 * payloads), so the figure is what a network would carry, not a payload estimate.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class WireMeter {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Client -> aggregator bytes so far. */
  bytesUp = 0;
  /** Aggregator -> client bytes so far. */
  bytesDown = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Starts listening on a free loopback port; returns the "host:port" clients dial. */
  async start(): Promise<string> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.on('data', (chunk: Buffer) => (this.bytesUp += chunk.length));
      upstream.on('data', (chunk: Buffer) => (this.bytesDown += chunk.length));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', resolve);
    });
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get totalBytes(): number {
    return this.bytesUp + this.bytesDown;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
