/**
 * Errors as JupyterLab notifications, said once: a panel that refreshes every few
 * seconds does not repeat the same failure at every tick.
 */
import { Notification } from '@jupyterlab/apputils';

import { KarvdashError } from './request';

export function messageOf(error: unknown): string {
  if (error instanceof KarvdashError || error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** Show `error` (prefixed by `what`) as an error notification. */
export function notifyError(what: string, error: unknown): void {
  if (error instanceof KarvdashError && error.cancelled) {
    return;
  }
  Notification.error(`${what}: ${messageOf(error)}`, { autoClose: 8000 });
}

export function notifySuccess(message: string): void {
  Notification.success(message, { autoClose: 4000 });
}

/** Remembers the last failure of a repeated action, so it is notified only once. */
export class RepeatedFailure {
  private last = '';

  /** Notify unless this is the failure notified last time. */
  failed(what: string, error: unknown): void {
    const message = messageOf(error);
    if (message !== this.last) {
      this.last = message;
      notifyError(what, error);
    }
  }

  succeeded(): void {
    this.last = '';
  }
}
