/**
 * "New service": pick a template, fill in its form, watch it start.
 */
import React, { useEffect, useState } from 'react';

import { ITrans } from '../form';
import { messageOf } from '../notify';
import { IService, ITemplate } from '../tokens';
import { TemplateForm } from './formview';
import { ServicesModel } from './model';
import { LaunchProgress } from './progress';

function TemplatePicker(props: {
  templates: ITemplate[];
  trans: ITrans;
  onPick: (template: ITemplate) => void;
}): JSX.Element {
  const { trans } = props;
  const [filter, setFilter] = useState('');
  const wanted = filter.trim().toLowerCase();
  const shown = props.templates.filter(
    t =>
      !wanted ||
      t.name.toLowerCase().includes(wanted) ||
      t.description.toLowerCase().includes(wanted)
  );
  return (
    <div className="jp-karvdash-picker">
      <input
        className="jp-mod-styled jp-karvdash-filter"
        type="search"
        placeholder={trans.__('Filter templates')}
        aria-label={trans.__('Filter templates')}
        value={filter}
        onChange={e => setFilter(e.target.value)}
      />
      <ul className="jp-karvdash-list" aria-label={trans.__('Templates')}>
        {shown.map(template => (
          <li key={template.id}>
            <button
              className="jp-karvdash-template-choice"
              data-template={template.id}
              onClick={() => props.onPick(template)}
            >
              <span className="jp-karvdash-item-name">
                {template.name}
                {template.system ? null : (
                  <span className="jp-karvdash-tag">{trans.__('yours')}</span>
                )}
                {template.singleton ? (
                  <span className="jp-karvdash-tag">{trans.__('one at a time')}</span>
                ) : null}
              </span>
              <span className="jp-karvdash-description">{template.description}</span>
            </button>
          </li>
        ))}
      </ul>
      {shown.length === 0 ? (
        <p className="jp-karvdash-empty">{trans.__('No template matches.')}</p>
      ) : null}
    </div>
  );
}

export function NewService(props: {
  model: ServicesModel;
  trans: ITrans;
  visible: () => boolean;
  openLogs: (name: string) => void;
}): JSX.Element {
  const { model, trans } = props;
  const [templates, setTemplates] = useState<ITemplate[] | null>(null);
  const [error, setError] = useState('');
  const [template, setTemplate] = useState<ITemplate | null>(null);
  const [launched, setLaunched] = useState<IService | null>(null);

  useEffect(() => {
    model
      .refreshTemplates()
      .then(setTemplates, failure => setError(messageOf(failure)));
  }, []);

  const done = (): void => {
    model.setView('list');
    void model.refresh().catch(() => undefined);
  };

  if (launched) {
    return (
      <LaunchProgress
        service={launched}
        client={model.client}
        trans={trans}
        visible={props.visible}
        openLogs={props.openLogs}
        onDone={done}
      />
    );
  }
  if (template) {
    return (
      <TemplateForm
        template={template}
        client={model.client}
        trans={trans}
        onBack={() => setTemplate(null)}
        onLaunched={service => {
          setLaunched(service);
          model.launching = service.name;
          void model.refresh().catch(() => undefined);
        }}
      />
    );
  }
  return (
    <div className="jp-karvdash-new">
      <h3>{trans.__('New service: choose a template')}</h3>
      {error ? (
        <p className="jp-karvdash-error" role="alert">
          {error}
        </p>
      ) : templates === null ? (
        <p className="jp-karvdash-empty">{trans.__('Loading…')}</p>
      ) : (
        <TemplatePicker templates={templates} trans={trans} onPick={setTemplate} />
      )}
      <div className="jp-karvdash-buttons">
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          onClick={() => model.setView('list')}
        >
          {trans.__('Cancel')}
        </button>
      </div>
    </div>
  );
}
