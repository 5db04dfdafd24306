/**
 * Repositories, then their tags, then a tag's details; delete for registry admins.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { ITrans } from '../form';
import { notifyError, notifySuccess } from '../notify';
import { IImageDetails } from '../tokens';
import { ImagesModel } from './model';
import { formatBytes } from './upload';

function platform(d: { os: string; architecture: string; variant: string }): string {
  return [d.os, d.architecture, d.variant].filter(Boolean).join('/') || '?';
}

async function confirmDelete(
  model: ImagesModel,
  details: IImageDetails,
  trans: ITrans
): Promise<void> {
  const reference = `${details.repository}:${details.tag}`;
  const answer = await showDialog({
    title: trans.__('Delete image %1?', reference),
    body: trans.__(
      'This deletes the image %1 from the registry, with every tag that names it. Nobody can pull it any more.',
      details.digest
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
    const removed = await model.deleteImage(
      details.repository,
      details.tag,
      details.digest
    );
    notifySuccess(
      trans.__('Deleted %1 (tags: %2)', details.repository, removed.join(', '))
    );
  } catch (error) {
    notifyError(trans.__('Could not delete %1', reference), error);
  }
}

function Details(props: {
  model: ImagesModel;
  details: IImageDetails;
  trans: ITrans;
}): JSX.Element {
  const { details: d, trans, model } = props;
  const reference = `${model.registry?.registry ?? ''}/${d.repository}:${d.tag}`;
  const created = d.created ? new Date(d.created) : null;
  return (
    <div className="jp-karvdash-details">
      <dl>
        <dt>{trans.__('Digest')}</dt>
        <dd className="jp-karvdash-digest" title={d.digest}>
          {d.digest}
        </dd>
        <dt>{trans.__('Size')}</dt>
        <dd>{formatBytes(d.size)}</dd>
        <dt>{trans.__('Platform')}</dt>
        <dd>
          {d.platforms && d.platforms.length > 0
            ? d.platforms.map(platform).join(', ')
            : platform(d)}
        </dd>
        <dt>{trans.__('Created')}</dt>
        <dd title={created ? Time.format(created) : ''}>
          {created && !isNaN(created.getTime()) ? Time.formatHuman(created) : '?'}
        </dd>
        <dt>{trans.__('Layers')}</dt>
        <dd>{d.layers}</dd>
        <dt>{trans.__('Type')}</dt>
        <dd>{d.kind}</dd>
      </dl>
      <div className="jp-karvdash-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-karvdash-small"
          title={reference}
          onClick={() => {
            Clipboard.copyToSystem(reference);
            notifySuccess(trans.__('Copied %1', reference));
          }}
        >
          {trans.__('Copy reference')}
        </button>
        {model.admin ? (
          <button
            className="jp-Button jp-mod-styled jp-mod-warn jp-karvdash-small jp-karvdash-delete-image"
            onClick={() => void confirmDelete(model, d, trans)}
            aria-label={trans.__('Delete %1:%2', d.repository, d.tag)}
          >
            {trans.__('Delete')}
          </button>
        ) : null}
      </div>
    </div>
  );
}

function Tags(props: {
  model: ImagesModel;
  repository: string;
  trans: ITrans;
}): JSX.Element {
  const { model, repository, trans } = props;
  const tags = model.opened.get(repository);
  if (!tags) {
    return <></>;
  }
  if (tags.error) {
    return (
      <p className="jp-karvdash-error" role="alert">
        {tags.error}
      </p>
    );
  }
  if (tags.tags.length === 0) {
    return <p className="jp-karvdash-empty">{trans.__('No tags.')}</p>;
  }
  return (
    <ul className="jp-karvdash-tags" aria-label={trans.__('Tags of %1', repository)}>
      {tags.tags.map(tag => {
        const key = `${repository}:${tag}`;
        const details = model.details.get(key);
        return (
          <li key={tag} data-tag={tag}>
            <button
              className="jp-karvdash-tree-button"
              aria-expanded={details !== undefined}
              onClick={() => void model.toggleDetails(repository, tag)}
            >
              {details !== undefined ? (
                <caretDownIcon.react tag="span" />
              ) : (
                <caretRightIcon.react tag="span" />
              )}
              <span className="jp-karvdash-tag-name">{tag}</span>
            </button>
            {details === '' ? (
              <p className="jp-karvdash-empty">{trans.__('Loading…')}</p>
            ) : typeof details === 'string' ? (
              <p className="jp-karvdash-error" role="alert">
                {details}
              </p>
            ) : details ? (
              <Details model={model} details={details} trans={trans} />
            ) : null}
          </li>
        );
      })}
      {tags.next !== null ? (
        <li>
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-karvdash-small"
            onClick={() => void model.loadTags(repository, true)}
          >
            {trans.__('More tags')}
          </button>
        </li>
      ) : null}
    </ul>
  );
}

export function RepositoryBrowser(props: {
  model: ImagesModel;
  trans: ITrans;
}): JSX.Element {
  const { model, trans } = props;
  if (!model.loaded) {
    return <p className="jp-karvdash-empty">{trans.__('Loading…')}</p>;
  }
  if (model.error && model.repositories.length === 0) {
    return (
      <p className="jp-karvdash-error" role="alert">
        {model.error}
      </p>
    );
  }
  if (model.repositories.length === 0) {
    return (
      <p className="jp-karvdash-empty">
        {trans.__('The registry is empty: upload an image to share it.')}
      </p>
    );
  }
  return (
    <ul className="jp-karvdash-list" aria-label={trans.__('Repositories')}>
      {model.repositories.map(repository => {
        const open = model.opened.has(repository);
        return (
          <li
            key={repository}
            className="jp-karvdash-repo"
            data-repository={repository}
          >
            <button
              className="jp-karvdash-tree-button"
              aria-expanded={open}
              onClick={() =>
                void model.toggle(repository).catch(e => notifyError(repository, e))
              }
            >
              {open ? (
                <caretDownIcon.react tag="span" />
              ) : (
                <caretRightIcon.react tag="span" />
              )}
              <span className="jp-karvdash-item-name">{repository}</span>
            </button>
            {open ? <Tags model={model} repository={repository} trans={trans} /> : null}
          </li>
        );
      })}
      {model.next !== null ? (
        <li>
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-karvdash-small"
            onClick={() => void model.more().catch(e => notifyError('', e))}
          >
            {trans.__('More repositories')}
          </button>
        </li>
      ) : null}
    </ul>
  );
}
