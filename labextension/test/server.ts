/**
 * A real HTTP server on loopback for the client's tests: it records every request
 * (method, path, headers, body) and answers with what the test set for that route.
 * It allows cross-origin calls, so jsdom's XMLHttpRequest can reach it as well.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

import { IConnection } from '../src/request';

export interface IRecorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Whether the client sent the whole body (false: it closed the connection). */
  complete: boolean;
}

export interface IAnswer {
  status: number;
  body?: unknown;
  /** A body sent as it is (not JSON). */
  raw?: string;
  contentType?: string;
}

export type Route = (request: IRecorded) => IAnswer;

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS'
};

export class TestServer {
  readonly requests: IRecorded[] = [];
  private readonly routes = new Map<string, Route>();
  private server: http.Server | null = null;
  /** Called when a request's body ended or broke off. */
  onRequestEnd: ((request: IRecorded) => void) | null = null;

  /** Answer `METHOD path` (path without the query) with `route`. */
  on(method: string, path: string, route: Route | IAnswer): void {
    this.routes.set(
      `${method} ${path}`,
      typeof route === 'function' ? route : () => route
    );
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}/`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>(resolve => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    const recorded: IRecorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      complete: false
    };
    this.requests.push(recorded);
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      recorded.body = Buffer.concat(chunks);
    });
    req.on('close', () => {
      if (!recorded.complete) {
        this.onRequestEnd?.(recorded);
      }
    });
    req.on('end', () => {
      recorded.complete = true;
      this.onRequestEnd?.(recorded);
      const path = recorded.url.split('?')[0];
      const route = this.routes.get(`${recorded.method} ${path}`);
      const answer: IAnswer = route
        ? route(recorded)
        : { status: 404, body: { message: `no route ${path}`, reason: 'Not Found' } };
      const body =
        answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status, {
        ...CORS,
        'Content-Type': answer.contentType ?? 'application/json'
      });
      res.end(body);
    });
  }
}

/** A connection to the test server, with fixed credentials the tests look for. */
export function connectionTo(
  server: TestServer,
  fetchImpl?: typeof fetch
): IConnection {
  const f = fetchImpl ?? globalThis.fetch;
  return {
    baseUrl: server.url + 'user/alice/',
    headers: () => ({
      Authorization: 'token secret-token',
      'X-XSRFToken': 'xsrf-value'
    }),
    fetch: (input: string, init?: RequestInit) => f(input, init)
  };
}
