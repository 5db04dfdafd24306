/**
 * One typed request function for the Karvdash REST API, and its error.
 *
 * It depends on no JupyterLab package: a {@link IConnection} says where the server is
 * and which headers prove who we are (see connection.ts), so it runs in tests as is.
 */

/** Where the Jupyter server is and how to call it. */
export interface IConnection {
  /** The server's base URL, ending with `/` (`http://host/user/alice/`). */
  baseUrl: string;
  /** Headers every request carries: the token, the XSRF token. */
  headers(): Record<string, string>;
  /** The `fetch` to use. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
  /** Request options every request starts from (credentials, cache). */
  init?: RequestInit;
}

/** The API's root below the server's base URL. */
export const API_PATH = 'karvdash/api';

/** The URL of an API path (`/services`, `/images/repositories?n=10`). */
export function apiUrl(connection: IConnection, path: string): string {
  const base = connection.baseUrl.endsWith('/')
    ? connection.baseUrl
    : connection.baseUrl + '/';
  return base + API_PATH + (path.startsWith('/') ? path : '/' + path);
}

/** A path segment, quoted (`a b` -> `a%20b`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** A repository's path, each part quoted but its slashes kept (`team/app`). */
export function repositoryPath(repository: string): string {
  return repository.split('/').map(encodeURIComponent).join('/');
}

/** A query string from the defined parameters (`?n=10&last=a`), or ``. */
export function query(
  params: Record<string, string | number | undefined | null>
): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

/**
 * A refusal or failure, with the server's message (meant for the user).
 *
 * `status` is the HTTP status, or 0 when the server could not be reached (or the
 * request was cancelled: `cancelled`). `variable` names the template variable a
 * refused value belongs to (`variable REPLICAS: must be one of 1, 2, 3, not 7`).
 */
export class KarvdashError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly variable: string | null;
  readonly cancelled: boolean;

  constructor(
    message: string,
    status: number,
    reason = '',
    options: { cancelled?: boolean } = {}
  ) {
    super(message);
    this.name = 'KarvdashError';
    this.status = status;
    this.reason = reason;
    this.cancelled = options.cancelled ?? false;
    const match = /^variable ([A-Za-z_][A-Za-z0-9_]*): /.exec(message);
    this.variable = match?.[1] ?? null;
  }

  /** The message without its `variable X: ` prefix (for a field's own error). */
  get detail(): string {
    return this.variable ? this.message.replace(/^variable [^:]+: /, '') : this.message;
  }
}

/** The error a response stands for: the API's `{message, reason}`, else its status. */
export async function errorFrom(response: Response): Promise<KarvdashError> {
  const text = await response.text().catch(() => '');
  let message = '';
  let reason = response.statusText;
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && 'message' in body) {
      message = String((body as { message: unknown }).message ?? '');
      const r = (body as { reason?: unknown }).reason;
      if (typeof r === 'string') {
        reason = r;
      }
    }
  } catch {
    // not JSON: a proxy's error page
  }
  if (!message) {
    message = `the server answered ${response.status}${reason ? ' ' + reason : ''}`;
  }
  return new KarvdashError(message, response.status, reason);
}

/**
 * Call the API; the decoded JSON answer (`undefined` for an empty one, e.g. `204`).
 *
 * A JSON `body` is sent as `application/json`. Any status but 2xx is thrown as a
 * {@link KarvdashError} with the server's message.
 */
export async function requestAPI<T>(
  connection: IConnection,
  path: string,
  options: { method?: string; body?: unknown } = {}
): Promise<T> {
  const headers: Record<string, string> = { ...connection.headers() };
  const init: RequestInit = {
    ...connection.init,
    method: options.method ?? 'GET',
    headers
  };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await connection.fetch(apiUrl(connection, path), init);
  } catch (error) {
    throw new KarvdashError(`cannot reach the Jupyter server: ${String(error)}`, 0);
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  const text = await response.text();
  if (!text) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new KarvdashError('the server answered with something that is not JSON', 502);
  }
}
