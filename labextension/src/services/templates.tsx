/**
 * The templates: upload a YAML file as your own, download any, delete your own.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import React, { useEffect, useRef, useState } from 'react';

import { ITrans } from '../form';
import { messageOf, notifyError, notifySuccess } from '../notify';
import { ITemplate } from '../tokens';
import { ServicesModel } from './model';

/** Save `text` as a file named `name` (the browser's download). */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function TemplatesManager(props: {
  model: ServicesModel;
  trans: ITrans;
}): JSX.Element {
  const { model, trans } = props;
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const reload = (): void => {
    model.refreshTemplates().then(
      () => setError(''),
      failure => setError(messageOf(failure))
    );
  };
  useEffect(reload, []);

  const upload = async (file: File): Promise<void> => {
    setBusy(true);
    try {
      const added = await model.client.addTemplate(await file.text());
      notifySuccess(trans.__('Added template %1', added.name));
      reload();
    } catch (failure) {
      notifyError(trans.__('Could not add %1', file.name), failure);
    } finally {
      setBusy(false);
      if (fileInput.current) {
        fileInput.current.value = '';
      }
    }
  };

  const save = async (template: ITemplate): Promise<void> => {
    try {
      const full = await model.client.template(template.id);
      download(`${template.id}.template.yaml`, full.source);
    } catch (failure) {
      notifyError(trans.__('Could not download %1', template.name), failure);
    }
  };

  const remove = async (template: ITemplate): Promise<void> => {
    const answer = await showDialog({
      title: trans.__('Delete template %1?', template.name),
      body: trans.__('Services started from it keep running.'),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await model.client.deleteTemplate(template.id);
      notifySuccess(trans.__('Deleted template %1', template.name));
    } catch (failure) {
      notifyError(trans.__('Could not delete %1', template.name), failure);
    }
    reload();
  };

  return (
    <div className="jp-karvdash-templates">
      <h3>{trans.__('Templates')}</h3>
      <p className="jp-karvdash-description">
        {trans.__(
          'Add your own template: a YAML file with Kubernetes objects and one "kind: Template" document.'
        )}
      </p>
      <input
        ref={fileInput}
        type="file"
        accept=".yaml,.yml,application/yaml,text/yaml"
        className="jp-karvdash-hidden-input"
        aria-label={trans.__('Template file')}
        onChange={e => {
          const file = e.target.files?.[0];
          if (file) {
            void upload(file);
          }
        }}
      />
      <div className="jp-karvdash-buttons">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={busy}
          onClick={() => fileInput.current?.click()}
        >
          {busy ? trans.__('Uploading…') : trans.__('Upload template…')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          onClick={() => model.setView('list')}
        >
          {trans.__('Back to services')}
        </button>
      </div>
      {error ? (
        <p className="jp-karvdash-error" role="alert">
          {error}
        </p>
      ) : null}
      <ul className="jp-karvdash-list" aria-label={trans.__('Templates')}>
        {model.templates.map(template => (
          <li
            key={template.id}
            className="jp-karvdash-item"
            data-template={template.id}
          >
            <div className="jp-karvdash-item-head">
              <span className="jp-karvdash-item-name">{template.name}</span>
              <span className="jp-karvdash-tag">
                {template.system ? trans.__('system') : trans.__('yours')}
              </span>
            </div>
            <div className="jp-karvdash-description">{template.description}</div>
            <div className="jp-karvdash-actions">
              <button
                className="jp-Button jp-mod-styled jp-mod-reject jp-karvdash-small"
                onClick={() => void save(template)}
                aria-label={trans.__('Download %1', template.name)}
              >
                {trans.__('Download')}
              </button>
              {template.system ? null : (
                <button
                  className="jp-Button jp-mod-styled jp-mod-warn jp-karvdash-small"
                  onClick={() => void remove(template)}
                  aria-label={trans.__('Delete %1', template.name)}
                >
                  {trans.__('Delete')}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
