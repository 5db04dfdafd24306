/**
 * The running services: status badge, link, template, age, logs and delete.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import React from 'react';

import { ITrans } from '../form';
import { notifyError, notifySuccess } from '../notify';
import { IService, ServiceStatus } from '../tokens';
import { ServicesModel } from './model';

export function statusLabel(status: ServiceStatus, trans: ITrans): string {
  switch (status) {
    case 'Pending':
      return trans.__('Pending');
    case 'Running':
      return trans.__('Running');
    case 'Succeeded':
      return trans.__('Succeeded');
    case 'Failed':
      return trans.__('Failed');
    case 'Terminating':
      return trans.__('Terminating');
  }
}

export function StatusBadge(props: {
  service: Pick<IService, 'status' | 'reason'>;
  trans: ITrans;
}): JSX.Element {
  const { status, reason } = props.service;
  const label = statusLabel(status, props.trans);
  return (
    <span className="jp-karvdash-status">
      <span
        className={`jp-karvdash-badge jp-karvdash-badge-${status.toLowerCase()}`}
        data-status={status}
      >
        {label}
      </span>
      {reason && status !== 'Running' ? (
        <span className="jp-karvdash-reason">{reason}</span>
      ) : null}
    </span>
  );
}

export async function confirmDelete(
  model: ServicesModel,
  service: IService,
  trans: ITrans
): Promise<void> {
  const answer = await showDialog({
    title: trans.__('Delete service %1?', service.name),
    body: trans.__(
      'This stops %1 and deletes every object it created. Files in your data folders stay.',
      service.name
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  if (!answer.button.accept) {
    return;
  }
  try {
    await model.remove(service.name);
    notifySuccess(trans.__('Deleted service %1', service.name));
  } catch (error) {
    notifyError(trans.__('Could not delete %1', service.name), error);
  }
  await model.refresh().catch(() => undefined);
}

function ServiceItem(props: {
  service: IService;
  model: ServicesModel;
  trans: ITrans;
  openLogs: (name: string) => void;
}): JSX.Element {
  const { service, trans } = props;
  const created = service.created ? new Date(service.created) : null;
  return (
    <li className="jp-karvdash-item" data-service={service.name}>
      <div className="jp-karvdash-item-head">
        <span className="jp-karvdash-item-name">{service.name}</span>
        <StatusBadge service={service} trans={trans} />
      </div>
      <div className="jp-karvdash-item-meta">
        <span className="jp-karvdash-template" title={trans.__('Template')}>
          {service.template}
        </span>
        {created ? (
          <time
            className="jp-karvdash-created"
            dateTime={service.created ?? ''}
            title={Time.format(created)}
          >
            {Time.formatHuman(created)}
          </time>
        ) : null}
      </div>
      {service.url ? (
        <a
          className="jp-karvdash-link"
          href={service.url}
          target="_blank"
          rel="noopener noreferrer"
          title={trans.__('Open %1 in a new tab', service.name)}
        >
          {service.url}
        </a>
      ) : null}
      <div className="jp-karvdash-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-karvdash-small"
          onClick={() => props.openLogs(service.name)}
          aria-label={trans.__('Logs of %1', service.name)}
        >
          {trans.__('Logs')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-warn jp-karvdash-small"
          onClick={() => void confirmDelete(props.model, service, trans)}
          aria-label={trans.__('Delete %1', service.name)}
        >
          {trans.__('Delete')}
        </button>
      </div>
    </li>
  );
}

export function ServiceList(props: {
  model: ServicesModel;
  trans: ITrans;
  openLogs: (name: string) => void;
}): JSX.Element {
  const { model, trans } = props;
  if (!model.loaded) {
    return <p className="jp-karvdash-empty">{trans.__('Loading…')}</p>;
  }
  if (model.error && model.services.length === 0) {
    return (
      <p className="jp-karvdash-error" role="alert">
        {model.error}
      </p>
    );
  }
  if (model.services.length === 0) {
    return (
      <div className="jp-karvdash-empty">
        <p>{trans.__('No services yet.')}</p>
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={() => model.setView('new')}
        >
          {trans.__('Start a service')}
        </button>
      </div>
    );
  }
  return (
    <ul className="jp-karvdash-list" aria-label={trans.__('Services')}>
      {model.services.map(service => (
        <ServiceItem
          key={service.name}
          service={service}
          model={model}
          trans={trans}
          openLogs={props.openLogs}
        />
      ))}
    </ul>
  );
}
