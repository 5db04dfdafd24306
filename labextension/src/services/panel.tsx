/**
 * The Services sidebar panel.
 */
import { ReactWidget, refreshIcon, addIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { KarvdashClient } from '../api';
import { ITrans } from '../form';
import { servicesIcon } from '../icons';
import { RepeatedFailure } from '../notify';
import { VisiblePoll } from '../poll';
import { NewService } from './launch';
import { ServiceList } from './list';
import { ServicesModel } from './model';
import { TemplatesManager } from './templates';

export class ServicesPanel extends ReactWidget {
  readonly model: ServicesModel;
  private readonly poll: VisiblePoll;
  private readonly failure = new RepeatedFailure();

  constructor(
    client: KarvdashClient,
    private readonly trans: ITrans,
    private readonly openLogs: (name: string) => void,
    refreshSeconds: number
  ) {
    super();
    this.id = 'karvdash-services';
    this.addClass('jp-karvdash-panel');
    this.title.icon = servicesIcon;
    this.title.caption = trans.__('Karvdash services');
    this.model = new ServicesModel(client);
    this.model.changed.connect(() => this.update());
    this.poll = new VisiblePoll(this, () => this.refresh(), refreshSeconds);
    this.poll.start();
  }

  set refreshInterval(seconds: number) {
    this.poll.interval = seconds;
  }

  /** Fetch the list now; a failure is notified (once while it lasts). */
  async refresh(): Promise<void> {
    try {
      await this.model.refresh();
      this.failure.succeeded();
    } catch (error) {
      this.failure.failed(this.trans.__('Could not list your services'), error);
    }
  }

  /** Refresh now, if the panel is shown. */
  refreshNow(): void {
    this.poll.refresh();
  }

  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.poll.refresh();
  }

  override dispose(): void {
    this.poll.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    const { model, trans } = this;
    let body: JSX.Element;
    if (model.view === 'new') {
      body = (
        <NewService
          model={model}
          trans={trans}
          visible={() => !this.poll.hidden}
          openLogs={this.openLogs}
        />
      );
    } else if (model.view === 'templates') {
      body = <TemplatesManager model={model} trans={trans} />;
    } else {
      body = <ServiceList model={model} trans={trans} openLogs={this.openLogs} />;
    }
    return (
      <div className="jp-karvdash-root">
        <header className="jp-karvdash-header">
          <h2>{trans.__('Services')}</h2>
          <div className="jp-karvdash-toolbar">
            <button
              className="jp-karvdash-toolbutton"
              title={trans.__('New service')}
              aria-label={trans.__('New service')}
              onClick={() => model.setView('new')}
            >
              <addIcon.react tag="span" />
            </button>
            <button
              className="jp-karvdash-toolbutton jp-karvdash-textbutton"
              title={trans.__('Templates: upload, download, delete')}
              onClick={() => model.setView('templates')}
            >
              {trans.__('Templates')}
            </button>
            <button
              className="jp-karvdash-toolbutton"
              title={trans.__('Refresh')}
              aria-label={trans.__('Refresh services')}
              onClick={() => void this.refresh()}
            >
              <refreshIcon.react tag="span" />
            </button>
          </div>
        </header>
        <div className="jp-karvdash-body">{body}</div>
      </div>
    );
  }
}
