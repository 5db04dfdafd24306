/**
 * After "Launch": the new service's status until it runs or fails.
 */
import React, { useEffect, useState } from 'react';

import { KarvdashClient } from '../api';
import { ITrans } from '../form';
import { messageOf } from '../notify';
import { IService } from '../tokens';
import { StatusBadge } from './list';

export const PROGRESS_INTERVAL = 1000;

export function LaunchProgress(props: {
  service: IService;
  client: KarvdashClient;
  trans: ITrans;
  /** Whether the panel can be seen (no request while it cannot). */
  visible: () => boolean;
  openLogs: (name: string) => void;
  onDone: () => void;
}): JSX.Element {
  const { trans } = props;
  const [service, setService] = useState<IService>(props.service);
  const [error, setError] = useState('');
  const settled = service.status === 'Running' || service.status === 'Failed';

  useEffect(() => {
    if (settled) {
      return;
    }
    let stopped = false;
    const timer = setInterval(() => {
      if (!props.visible()) {
        return;
      }
      props.client.service(props.service.name).then(
        found => {
          if (!stopped) {
            setService(found);
            setError('');
          }
        },
        failure => !stopped && setError(messageOf(failure))
      );
    }, PROGRESS_INTERVAL);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [settled]);

  return (
    <section
      className="jp-karvdash-progress"
      aria-label={trans.__('Starting %1', service.name)}
    >
      <h3>{service.name}</h3>
      <p aria-live="polite">
        <StatusBadge service={service} trans={trans} />
        {settled ? null : (
          <span className="jp-karvdash-waiting">{trans.__('starting…')}</span>
        )}
      </p>
      {service.status === 'Running' && service.url ? (
        <p>
          <a
            className="jp-karvdash-link"
            href={service.url}
            target="_blank"
            rel="noopener noreferrer"
          >
            {trans.__('Open %1', service.url)}
          </a>
        </p>
      ) : null}
      {service.status === 'Failed' ? (
        <p className="jp-karvdash-error" role="alert">
          {trans.__(
            '%1 failed: %2',
            service.name,
            service.reason || trans.__('unknown')
          )}
        </p>
      ) : null}
      {error ? (
        <p className="jp-karvdash-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="jp-karvdash-buttons">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          onClick={() => props.openLogs(service.name)}
        >
          {trans.__('Logs')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={props.onDone}
        >
          {settled ? trans.__('Done') : trans.__('Back to services')}
        </button>
      </div>
    </section>
  );
}
