/**
 * A service's logs in a main-area tab, refreshed on request.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ReactWidget, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { KarvdashClient } from '../api';
import { ITrans } from '../form';
import { messageOf } from '../notify';
import { servicesIcon } from '../icons';

export const LOG_LINES = 1000;

class LogsView extends ReactWidget {
  logs: Record<string, string> | null = null;
  error = '';

  constructor(
    private readonly client: KarvdashClient,
    readonly service: string,
    private readonly trans: ITrans
  ) {
    super();
    this.addClass('jp-karvdash-logs');
  }

  async load(): Promise<void> {
    try {
      this.logs = (await this.client.logs(this.service, LOG_LINES)).logs;
      this.error = '';
    } catch (error) {
      this.error = messageOf(error);
    }
    this.update();
  }

  protected render(): JSX.Element {
    const { trans } = this;
    if (this.error) {
      return (
        <p className="jp-karvdash-error" role="alert">
          {trans.__('No logs of %1: %2', this.service, this.error)}
        </p>
      );
    }
    if (this.logs === null) {
      return <p className="jp-karvdash-empty">{trans.__('Loading…')}</p>;
    }
    const entries = Object.entries(this.logs);
    if (entries.length === 0) {
      return (
        <p className="jp-karvdash-empty">
          {trans.__('No container of %1 has started yet.', this.service)}
        </p>
      );
    }
    return (
      <div>
        {entries.map(([container, text]) => (
          <section key={container}>
            <h3>{container}</h3>
            <pre tabIndex={0}>{text || trans.__('(nothing logged)')}</pre>
          </section>
        ))}
      </div>
    );
  }
}

export function createLogsWidget(
  client: KarvdashClient,
  service: string,
  trans: ITrans
): MainAreaWidget<LogsView> {
  const content = new LogsView(client, service, trans);
  const widget = new MainAreaWidget({ content });
  widget.id = `karvdash-logs-${service}`;
  widget.title.label = trans.__('Logs: %1', service);
  widget.title.icon = servicesIcon;
  widget.title.closable = true;
  widget.toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: trans.__('Reload the logs'),
      onClick: () => void content.load()
    })
  );
  void content.load();
  return widget;
}
