import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What a path answers: a status, headers (Retry-After), and how long it takes to answer. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

/**
 * A webhook receiver on a loopback port. Each path answers from its own script, one answer per
 * request, the last one repeated; unscripted paths answer 200.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private readonly inFlight = new Map<string, number>();
  /** The most requests a path was answering at once. */
  readonly mostAtOnce = new Map<string, number>();
  private server?: Server;

  script(path: string, answers: Answer[]): void {
    this.scripts.set(path, [...answers]);
  }

  url(path: string): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const script = this.scripts.get(path);
        const answer = (script && script.length > 1 ? script.shift() : script?.[0]) ?? {
          status: 200,
        };
        const now = (this.inFlight.get(path) ?? 0) + 1;
        this.inFlight.set(path, now);
        this.mostAtOnce.set(path, Math.max(now, this.mostAtOnce.get(path) ?? 0));
        setTimeout(() => {
          this.inFlight.set(path, (this.inFlight.get(path) ?? 1) - 1);
          res.writeHead(answer.status, answer.headers).end();
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
