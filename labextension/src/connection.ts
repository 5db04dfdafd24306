/**
 * The {@link IConnection} of JupyterLab's own server connection settings: the same base
 * URL, token and XSRF cookie as JupyterLab's requests.
 */
import { ServerConnection } from '@jupyterlab/services';

import { IConnection } from './request';

function cookie(name: string): string | undefined {
  if (typeof document === 'undefined') {
    return undefined;
  }
  const match = document.cookie.match('\\b' + name + '=([^;]*)\\b');
  return match?.[1];
}

export function connectionFrom(settings: ServerConnection.ISettings): IConnection {
  return {
    baseUrl: settings.baseUrl,
    init: settings.init,
    headers: () => {
      const headers: Record<string, string> = {};
      if (settings.token) {
        headers['Authorization'] = `token ${settings.token}`;
      }
      const xsrf = cookie('_xsrf');
      if (xsrf !== undefined) {
        headers['X-XSRFToken'] = xsrf;
      }
      return headers;
    },
    fetch: (input, init) => settings.fetch.call(null, input, init)
  };
}
