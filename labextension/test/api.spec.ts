/**
 * The API client against a real HTTP server on loopback: the URLs, methods, headers
 * and bodies it sends, and what it makes of the answers.
 */
import { KarvdashClient } from '../src/api';
import { KarvdashError, apiUrl } from '../src/request';
import { TestServer, connectionTo } from './server';
import { hello } from './templates';

const API = '/user/alice/karvdash/api';

let server: TestServer;
let client: KarvdashClient;

beforeEach(async () => {
  server = new TestServer();
  await server.start();
  client = new KarvdashClient(connectionTo(server));
});

afterEach(async () => {
  await server.stop();
});

const service = {
  name: 'hello',
  template: 'hello-kubernetes',
  created: '2024-05-01T10:00:00+00:00',
  status: 'Pending',
  reason: 'ContainerCreating',
  url: 'https://hello-alice.example.org/',
  values: { MESSAGE: 'hi', REPLICAS: 2 },
  objects: [{ kind: 'Service', name: 'hello' }],
  pods: []
};

describe('KarvdashClient', () => {
  it('calls the API under the server base URL with the credentials', async () => {
    server.on('GET', `${API}/templates`, { status: 200, body: [hello] });
    const templates = await client.templates();
    expect(templates[0]?.variables.map(v => v.name)).toEqual([
      'NAME',
      'MESSAGE',
      'REPLICAS'
    ]);
    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe(`${API}/templates`);
    expect(request?.headers['authorization']).toBe('token secret-token');
    expect(request?.headers['x-xsrftoken']).toBe('xsrf-value');
  });

  it('launches a service with a JSON body of template, values and name', async () => {
    server.on('POST', `${API}/services`, { status: 201, body: service });
    const launched = await client.launch({
      template: 'hello-kubernetes',
      name: 'hello',
      values: { MESSAGE: 'hi', REPLICAS: 2 }
    });
    expect(launched.status).toBe('Pending');
    const request = server.requests[0];
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body.toString() ?? '')).toEqual({
      template: 'hello-kubernetes',
      values: { MESSAGE: 'hi', REPLICAS: 2 },
      name: 'hello'
    });
  });

  it('leaves the name out when none is given', async () => {
    server.on('POST', `${API}/services`, { status: 201, body: service });
    await client.launch({ template: 'hello-kubernetes', values: {} });
    expect(JSON.parse(server.requests[0]?.body.toString() ?? '')).toEqual({
      template: 'hello-kubernetes',
      values: {}
    });
  });

  it('turns a refusal into an error with the server message and the variable', async () => {
    server.on('POST', `${API}/services`, {
      status: 400,
      body: {
        message: 'variable REPLICAS: must be one of 1, 2, 3, not 7',
        reason: 'Bad Request'
      }
    });
    const error = await client
      .launch({ template: 'hello-kubernetes', values: { REPLICAS: 7 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KarvdashError);
    const refused = error as KarvdashError;
    expect(refused.status).toBe(400);
    expect(refused.reason).toBe('Bad Request');
    expect(refused.message).toBe('variable REPLICAS: must be one of 1, 2, 3, not 7');
    expect(refused.variable).toBe('REPLICAS');
    expect(refused.detail).toBe('must be one of 1, 2, 3, not 7');
  });

  it('says what a non-JSON error page was', async () => {
    server.on('GET', `${API}/services`, {
      status: 502,
      raw: '<html><body>Bad Gateway</body></html>',
      contentType: 'text/html'
    });
    const error = (await client.services().catch((e: unknown) => e)) as KarvdashError;
    expect(error.status).toBe(502);
    expect(error.message).toBe('the server answered 502 Bad Gateway');
    expect(error.variable).toBeNull();
  });

  it('says when the server cannot be reached', async () => {
    const connection = connectionTo(server);
    await server.stop();
    const gone = new KarvdashClient(connection);
    const error = (await gone.info().catch((e: unknown) => e)) as KarvdashError;
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/^cannot reach the Jupyter server/);
  });

  it('deletes a service and a template (an empty 204 answer)', async () => {
    server.on('DELETE', `${API}/services/hello`, {
      status: 200,
      body: { name: 'hello', objects: service.objects }
    });
    server.on('DELETE', `${API}/templates/mine`, { status: 204 });
    expect((await client.remove('hello')).objects).toEqual(service.objects);
    await expect(client.deleteTemplate('mine')).resolves.toBeUndefined();
    expect(server.requests.map(r => `${r.method} ${r.url}`)).toEqual([
      `DELETE ${API}/services/hello`,
      `DELETE ${API}/templates/mine`
    ]);
  });

  it('uploads a template as its YAML source', async () => {
    const source = 'kind: Template\nname: Mine\n';
    server.on('POST', `${API}/templates`, r => ({
      status: 201,
      body: {
        ...hello,
        id: 'mine',
        system: false,
        source: JSON.parse(r.body.toString()).source
      }
    }));
    const added = await client.addTemplate(source);
    expect(added.source).toBe(source);
    expect(JSON.parse(server.requests[0]?.body.toString() ?? '')).toEqual({ source });
  });

  it('asks for the last lines of the logs', async () => {
    server.on('GET', `${API}/services/hello/logs`, {
      status: 200,
      body: { name: 'hello', logs: { 'hello-1/web': 'started\n' } }
    });
    const logs = await client.logs('hello', 50);
    expect(logs.logs['hello-1/web']).toBe('started\n');
    expect(server.requests[0]?.url).toBe(`${API}/services/hello/logs?tail=50`);
  });

  it('quotes names in paths, keeping the slashes of a repository', async () => {
    server.on('GET', `${API}/images/repositories/team/my%20app/tags`, {
      status: 200,
      body: { repository: 'team/my app', tags: ['v1'], next: null }
    });
    server.on('DELETE', `${API}/images/repositories/team/app/tags/v1%2Bb`, {
      status: 200,
      body: { digest: 'sha256:abc', removed_tags: ['v1+b'] }
    });
    await client.tags('team/my app', 'v0', 10);
    await client.deleteImage('team/app', 'v1+b', 'sha256:abc');
    expect(server.requests.map(r => r.url)).toEqual([
      `${API}/images/repositories/team/my%20app/tags?n=10&last=v0`,
      `${API}/images/repositories/team/app/tags/v1%2Bb?digest=sha256%3Aabc`
    ]);
  });

  it('pages through repositories', async () => {
    server.on('GET', `${API}/images/repositories`, r => ({
      status: 200,
      body: r.url.includes('last=b')
        ? { repositories: ['c'], next: null }
        : { repositories: ['a', 'b'], next: 'b' }
    }));
    const first = await client.repositories();
    const second = await client.repositories(first.next ?? undefined);
    expect([...first.repositories, ...second.repositories]).toEqual(['a', 'b', 'c']);
    expect(second.next).toBeNull();
  });

  it('announces an upload with its repository and tag', async () => {
    server.on('POST', `${API}/images/uploads`, {
      status: 201,
      body: { id: 'u1', repository: 'alice/app', tag: '1.0', state: 'waiting' }
    });
    const upload = await client.announceUpload('alice/app', '1.0');
    expect(upload.id).toBe('u1');
    expect(JSON.parse(server.requests[0]?.body.toString() ?? '')).toEqual({
      repository: 'alice/app',
      tag: '1.0',
      replace: false
    });
  });

  it('joins the base URL and the API path with exactly one slash', () => {
    const connection = { ...connectionTo(server), baseUrl: 'http://h/user/bob' };
    expect(apiUrl(connection, '/info')).toBe('http://h/user/bob/karvdash/api/info');
    expect(apiUrl(connection, 'info')).toBe('http://h/user/bob/karvdash/api/info');
  });
});
