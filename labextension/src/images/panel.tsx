/**
 * The Images sidebar panel.
 */
import { ReactWidget, fileUploadIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { KarvdashClient } from '../api';
import { ITrans } from '../form';
import { imagesIcon } from '../icons';
import { RepeatedFailure } from '../notify';
import { VisiblePoll } from '../poll';
import { RepositoryBrowser } from './browser';
import { ImagesModel } from './model';
import { UploadForm } from './upload';

export class ImagesPanel extends ReactWidget {
  readonly model: ImagesModel;
  private readonly poll: VisiblePoll;
  private readonly failure = new RepeatedFailure();

  constructor(
    client: KarvdashClient,
    private readonly trans: ITrans,
    refreshSeconds: number
  ) {
    super();
    this.id = 'karvdash-images';
    this.addClass('jp-karvdash-panel');
    this.title.icon = imagesIcon;
    this.title.caption = trans.__('Karvdash images');
    this.model = new ImagesModel(client);
    this.model.changed.connect(() => this.update());
    this.poll = new VisiblePoll(this, () => this.refresh(), refreshSeconds);
    this.poll.start();
  }

  set refreshInterval(seconds: number) {
    this.poll.interval = seconds;
  }

  async refresh(): Promise<void> {
    try {
      await this.model.refresh();
      this.failure.succeeded();
    } catch (error) {
      this.failure.failed(this.trans.__('Could not list the images'), error);
    }
  }

  refreshNow(): void {
    this.poll.refresh();
  }

  /** Show the upload form. */
  showUpload(): void {
    this.model.showUpload = true;
    this.model.emit();
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
    return (
      <div className="jp-karvdash-root">
        <header className="jp-karvdash-header">
          <h2>{trans.__('Images')}</h2>
          <div className="jp-karvdash-toolbar">
            <button
              className="jp-karvdash-toolbutton"
              title={trans.__('Upload an image')}
              aria-label={trans.__('Upload an image')}
              onClick={() => this.showUpload()}
            >
              <fileUploadIcon.react tag="span" />
            </button>
            <button
              className="jp-karvdash-toolbutton"
              title={trans.__('Refresh')}
              aria-label={trans.__('Refresh images')}
              onClick={() => void this.refresh()}
            >
              <refreshIcon.react tag="span" />
            </button>
          </div>
        </header>
        {model.registry ? (
          <div className="jp-karvdash-registry" title={trans.__('Registry address')}>
            {model.registry.registry}
            {model.admin ? (
              <span className="jp-karvdash-tag">{trans.__('admin')}</span>
            ) : null}
          </div>
        ) : null}
        <div className="jp-karvdash-body">
          {model.showUpload || model.uploading ? (
            <UploadForm model={model} trans={trans} />
          ) : null}
          <RepositoryBrowser model={model} trans={trans} />
        </div>
      </div>
    );
  }
}
