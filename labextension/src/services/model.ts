/**
 * What the Services panel shows, refreshed from the API, and the actions on it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { KarvdashClient } from '../api';
import { IService, ITemplate } from '../tokens';

export type ServicesView = 'list' | 'new' | 'templates';

export class ServicesModel {
  services: IService[] = [];
  templates: ITemplate[] = [];
  /** Whether the first answer has come. */
  loaded = false;
  /** Why the last refresh failed ('' when it did not). */
  error = '';
  view: ServicesView = 'list';
  /** The service being launched (its progress is shown), if any. */
  launching: string | null = null;

  private readonly _changed = new Signal<this, void>(this);

  constructor(readonly client: KarvdashClient) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  emit(): void {
    this._changed.emit();
  }

  setView(view: ServicesView): void {
    this.view = view;
    if (view !== 'new') {
      this.launching = null;
    }
    this.emit();
  }

  /** Fetch the services again; a failure is kept in `error` and thrown. */
  async refresh(): Promise<void> {
    try {
      this.services = await this.client.services();
      this.error = '';
    } catch (error) {
      this.error = String((error as Error).message ?? error);
      throw error;
    } finally {
      this.loaded = true;
      this.emit();
    }
  }

  async refreshTemplates(): Promise<ITemplate[]> {
    this.templates = await this.client.templates();
    this.emit();
    return this.templates;
  }

  async remove(name: string): Promise<void> {
    await this.client.remove(name);
    this.services = this.services.filter(s => s.name !== name);
    this.emit();
  }
}
