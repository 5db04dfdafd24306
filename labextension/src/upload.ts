/**
 * Sending an image archive with progress and a way to cancel: `fetch` reports no
 * upload progress, so this is the one request made with `XMLHttpRequest`.
 */
import { IConnection, KarvdashError, apiUrl, segment } from './request';
import { IUpload } from './tokens';

/** An archive on its way: its final state, and how to stop it. */
export interface IUploadHandle {
  /** The upload's final state (`done`), or the refusal; cancelled: `cancelled` set. */
  readonly done: Promise<IUpload>;
  /** Stop sending: the server fails the upload and no tag is written. */
  cancel(): void;
}

function parse(xhr: XMLHttpRequest): KarvdashError | IUpload {
  let body: unknown = null;
  try {
    body = JSON.parse(xhr.responseText);
  } catch {
    // a proxy's error page
  }
  const ok = xhr.status >= 200 && xhr.status < 300;
  if (ok && body && typeof body === 'object') {
    const upload = body as IUpload;
    if (upload.state === 'failed') {
      return new KarvdashError(
        upload.message || 'the upload failed',
        400,
        'Bad Request'
      );
    }
    return upload;
  }
  const message =
    body && typeof body === 'object' && 'message' in body
      ? String((body as { message: unknown }).message)
      : `the server answered ${xhr.status} ${xhr.statusText}`;
  const reason =
    body && typeof body === 'object' && 'reason' in body
      ? String((body as { reason: unknown }).reason ?? '')
      : xhr.statusText;
  return new KarvdashError(message, xhr.status, reason);
}

export function sendArchive(
  connection: IConnection,
  id: string,
  archive: Blob,
  onProgress?: (sent: number, total: number) => void,
  makeRequest: () => XMLHttpRequest = () => new XMLHttpRequest()
): IUploadHandle {
  const xhr = makeRequest();
  let cancelled = false;
  const done = new Promise<IUpload>((resolve, reject) => {
    xhr.open('PUT', apiUrl(connection, `/images/uploads/${segment(id)}`));
    for (const [name, value] of Object.entries(connection.headers())) {
      xhr.setRequestHeader(name, value);
    }
    xhr.setRequestHeader('Content-Type', 'application/x-tar');
    xhr.withCredentials = connection.init?.credentials === 'include';
    xhr.upload.addEventListener('progress', event => {
      onProgress?.(event.loaded, event.lengthComputable ? event.total : archive.size);
    });
    xhr.addEventListener('load', () => {
      const result = parse(xhr);
      if (result instanceof KarvdashError) {
        reject(result);
      } else {
        onProgress?.(archive.size, archive.size);
        resolve(result);
      }
    });
    xhr.addEventListener('error', () => {
      reject(
        new KarvdashError('the upload failed: the connection to the server broke', 0)
      );
    });
    xhr.addEventListener('abort', () => {
      reject(
        new KarvdashError('the upload was cancelled', 0, '', { cancelled: cancelled })
      );
    });
    xhr.send(archive);
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      xhr.abort();
    }
  };
}
