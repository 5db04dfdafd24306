/**
 * What the Images panel shows: the registry, its repositories, the tags of those
 * opened, the details of the tags opened; and the upload in progress.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { KarvdashClient } from '../api';
import { KarvdashError } from '../request';
import { IImageDetails, IRegistryInfo, IUpload } from '../tokens';
import { IUploadHandle } from '../upload';

export interface ITags {
  tags: string[];
  next: string | null;
  error: string;
}

/** An upload as the panel shows it. */
export interface IUploading {
  repository: string;
  tag: string;
  file: string;
  sent: number;
  total: number;
  /** `announcing`, `sending`, `finishing` (all sent, the registry is being written). */
  phase: 'announcing' | 'sending' | 'finishing';
  handle: IUploadHandle | null;
  id: string | null;
}

export class ImagesModel {
  registry: IRegistryInfo | null = null;
  repositories: string[] = [];
  next: string | null = null;
  loaded = false;
  error = '';
  /** Tags of the opened repositories. */
  readonly opened = new Map<string, ITags>();
  /** Details of opened tags, keyed `repo:tag`. */
  readonly details = new Map<string, IImageDetails | string>();
  uploading: IUploading | null = null;
  showUpload = false;

  private readonly _changed = new Signal<this, void>(this);

  constructor(readonly client: KarvdashClient) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  emit(): void {
    this._changed.emit();
  }

  get admin(): boolean {
    return this.registry?.admin === true;
  }

  /** The registry, the first page of repositories, and the tags of opened ones. */
  async refresh(): Promise<void> {
    try {
      this.registry = await this.client.registry();
      const page = await this.client.repositories();
      const more = this.repositories.slice(page.repositories.length);
      const seen = new Set(page.repositories);
      this.repositories = [...page.repositories, ...more.filter(r => !seen.has(r))];
      if (!more.length) {
        this.next = page.next;
      }
      this.error = '';
      await Promise.all([...this.opened.keys()].map(repo => this.loadTags(repo)));
    } catch (error) {
      this.error = (error as Error).message;
      throw error;
    } finally {
      this.loaded = true;
      this.emit();
    }
  }

  async more(): Promise<void> {
    if (this.next === null) {
      return;
    }
    const page = await this.client.repositories(this.next);
    this.repositories = [...this.repositories, ...page.repositories];
    this.next = page.next;
    this.emit();
  }

  /** Show the tags of `repository` (fetched again if shown already). */
  async open(repository: string): Promise<void> {
    if (!this.opened.has(repository)) {
      this.opened.set(repository, { tags: [], next: null, error: '' });
    }
    await this.loadTags(repository);
  }

  async toggle(repository: string): Promise<void> {
    if (this.opened.has(repository)) {
      this.opened.delete(repository);
      this.emit();
      return;
    }
    this.opened.set(repository, { tags: [], next: null, error: '' });
    this.emit();
    await this.loadTags(repository);
  }

  async loadTags(repository: string, more = false): Promise<void> {
    const current = this.opened.get(repository);
    try {
      const page = await this.client.tags(
        repository,
        more ? (current?.next ?? undefined) : undefined
      );
      const tags = more && current ? [...current.tags, ...page.tags] : page.tags;
      this.opened.set(repository, { tags, next: page.next, error: '' });
    } catch (error) {
      this.opened.set(repository, {
        tags: [],
        next: null,
        error: (error as Error).message
      });
    }
    this.emit();
  }

  async toggleDetails(repository: string, tag: string): Promise<void> {
    const key = `${repository}:${tag}`;
    if (this.details.has(key)) {
      this.details.delete(key);
      this.emit();
      return;
    }
    this.details.set(key, '');
    this.emit();
    try {
      this.details.set(key, await this.client.image(repository, tag));
    } catch (error) {
      this.details.set(key, (error as Error).message || 'failed');
    }
    this.emit();
  }

  async deleteImage(
    repository: string,
    tag: string,
    digest?: string
  ): Promise<string[]> {
    const deleted = await this.client.deleteImage(repository, tag, digest);
    for (const gone of deleted.removed_tags) {
      this.details.delete(`${repository}:${gone}`);
    }
    await this.loadTags(repository);
    return deleted.removed_tags;
  }

  /** Announce and send an archive; resolves with the finished upload. */
  async upload(
    file: Blob,
    name: string,
    repository: string,
    tag: string
  ): Promise<IUpload> {
    const state: IUploading = {
      repository,
      tag,
      file: name,
      sent: 0,
      total: file.size,
      phase: 'announcing',
      handle: null,
      id: null
    };
    this.uploading = state;
    this.emit();
    try {
      const announced = await this.client.announceUpload(repository, tag);
      state.id = announced.id;
      if (this.uploading !== state) {
        // cancelled while announcing: nothing was sent
        await this.client.forgetUpload(announced.id);
        throw new KarvdashError('the upload was cancelled', 0, '', { cancelled: true });
      }
      state.phase = 'sending';
      state.handle = this.client.sendArchive(announced.id, file, (sent, total) => {
        state.sent = sent;
        state.total = total;
        state.phase = sent >= total ? 'finishing' : 'sending';
        this.emit();
      });
      this.emit();
      return await state.handle.done;
    } finally {
      if (this.uploading === state) {
        this.uploading = null;
      }
      this.emit();
    }
  }

  cancelUpload(): void {
    const state = this.uploading;
    if (state === null) {
      return;
    }
    this.uploading = null;
    state.handle?.cancel();
    this.emit();
  }
}
