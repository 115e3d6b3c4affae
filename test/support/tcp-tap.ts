import net from 'node:net';

/**
 * A TCP proxy between an app and Redis that can stop the app's traffic at an exact point: once a
 * command carrying `marker` has reached Redis and Redis has answered it, nothing more the app
 * sends gets through. A test then kills the app there, between two Redis calls of one operation.
 */
export class RedisTap {
  private armed: { marker: string; onAnswered: () => void } | undefined;
  private frozen = false;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<RedisTap> {
    const { hostname, port } = new URL(target);
    let tap: RedisTap | undefined;
    const server = net.createServer((client) => tap?.pipe(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as net.AddressInfo;
    tap = new RedisTap(server, `redis://127.0.0.1:${address.port}`);
    return tap;
  }

  /** Resolves once the command carrying `marker` has been answered; from then on the app's traffic stops. */
  stopAfter(marker: string): Promise<void> {
    return new Promise((resolve) => {
      this.armed = { marker, onAnswered: resolve };
    });
  }

  private pipe(client: net.Socket, host: string, port: number): void {
    const upstream = net.connect(port, host);
    this.sockets.add(client).add(upstream);
    let answerAwaited: (() => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      if (this.frozen) return;
      const armed = this.armed;
      if (armed !== undefined && chunk.includes(armed.marker)) {
        this.armed = undefined;
        answerAwaited = armed.onAnswered;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (answerAwaited !== undefined) {
        this.frozen = true;
        answerAwaited();
        answerAwaited = undefined;
      }
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
