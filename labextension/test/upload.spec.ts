/**
 * @jest-environment jsdom
 *
 * Sending an archive with XMLHttpRequest (jsdom's, which makes real requests) to a
 * real HTTP server: the bytes and headers that arrive, progress, refusals, cancel.
 */
import { KarvdashClient } from '../src/api';
import { KarvdashError } from '../src/request';
import { IRecorded, TestServer, connectionTo } from './server';

const API = '/user/alice/karvdash/api';
const PATH = `${API}/images/uploads/u1`;

let server: TestServer;
let client: KarvdashClient;

beforeEach(async () => {
  server = new TestServer();
  await server.start();
  // jsdom has no fetch; the upload does not use it
  client = new KarvdashClient(connectionTo(server, (() => undefined) as never));
});

afterEach(async () => {
  await server.stop();
});

function archive(size: number): Blob {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = i % 251;
  }
  return new Blob([bytes], { type: 'application/x-tar' });
}

const done = {
  id: 'u1',
  repository: 'alice/app',
  tag: '1.0',
  state: 'done',
  received: 4096,
  total: 4096,
  blobs: 2,
  current: '',
  message: '',
  digest: 'sha256:0123',
  layout: 'docker'
};

describe('sendArchive', () => {
  it('streams the archive with the credentials and answers the final state', async () => {
    server.on('PUT', PATH, { status: 200, body: done });
    const progress: Array<[number, number]> = [];
    const handle = client.sendArchive('u1', archive(4096), (sent, total) =>
      progress.push([sent, total])
    );
    const result = await handle.done;
    expect(result.digest).toBe('sha256:0123');
    const request = server.requests.find(r => r.method === 'PUT');
    expect(request?.url).toBe(PATH);
    expect(request?.body.length).toBe(4096);
    expect(request?.body[300]).toBe(300 % 251);
    expect(request?.headers['content-type']).toBe('application/x-tar');
    expect(request?.headers['authorization']).toBe('token secret-token');
    expect(request?.headers['x-xsrftoken']).toBe('xsrf-value');
    expect(progress[progress.length - 1]).toEqual([4096, 4096]);
  });

  it('rejects with the reason when the archive is refused', async () => {
    server.on('PUT', PATH, {
      status: 400,
      body: {
        message:
          'the archive is truncated: member a/layer.tar ends after 10 of its 20 bytes',
        reason: 'Bad Request'
      }
    });
    const error = await client
      .sendArchive('u1', archive(100))
      .done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KarvdashError);
    expect((error as KarvdashError).status).toBe(400);
    expect((error as KarvdashError).message).toMatch(/^the archive is truncated/);
    expect((error as KarvdashError).cancelled).toBe(false);
  });

  it('rejects an upload the gateway reports as failed', async () => {
    server.on('PUT', PATH, {
      status: 200,
      body: { ...done, state: 'failed', message: 'digest mismatch in blobs/sha256/ab' }
    });
    const error = await client
      .sendArchive('u1', archive(100))
      .done.catch((e: unknown) => e);
    expect((error as KarvdashError).message).toBe('digest mismatch in blobs/sha256/ab');
  });

  it('stops sending when cancelled, and says it was cancelled', async () => {
    // the server never answers: the upload can only end by being cancelled
    let ended: IRecorded | null = null;
    server.onRequestEnd = request => {
      if (request.method === 'PUT') {
        ended = request;
      }
    };
    const size = 64 * 1024 * 1024;
    const handle = client.sendArchive('u1', archive(size));
    const started = (): IRecorded | undefined =>
      server.requests.find(r => r.method === 'PUT' && r.body.length > 0);
    for (let i = 0; i < 200 && !started(); i++) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    expect(started()).toBeDefined();
    handle.cancel();
    const error = (await handle.done.catch((e: unknown) => e)) as KarvdashError;
    expect(error.cancelled).toBe(true);
    expect(error.status).toBe(0);
    for (let i = 0; i < 200 && ended === null; i++) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    // the server saw the connection close before the end of the archive
    const put = started();
    expect(ended).toBe(put);
    expect(put?.complete).toBe(false);
    expect(put?.body.length).toBeLessThan(size);
  });
});
