/**
 * The client of the Karvdash REST API of the user's own Jupyter server
 * (`<base_url>karvdash/api/`, docs/rest-api.md), as the panels use it.
 */
import { IConnection, query, repositoryPath, requestAPI, segment } from './request';
import {
  IDeletedImage,
  IImageDetails,
  IInfo,
  IRegistryInfo,
  IRemovedService,
  IRepositoryPage,
  IService,
  IServiceLogs,
  ITagPage,
  ITemplate,
  ITemplateWithSource,
  IUpload,
  Value
} from './tokens';
import { IUploadHandle, sendArchive } from './upload';

/** What to launch: a template, its values, optionally a name. */
export interface ILaunch {
  template: string;
  values: Record<string, Value>;
  name?: string;
}

export class KarvdashClient {
  constructor(readonly connection: IConnection) {}

  private call<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
    return requestAPI<T>(this.connection, path, { method, body });
  }

  info(): Promise<IInfo> {
    return this.call('/info');
  }

  // -- templates ---------------------------------------------------------------------

  templates(): Promise<ITemplate[]> {
    return this.call('/templates');
  }

  template(id: string): Promise<ITemplateWithSource> {
    return this.call(`/templates/${segment(id)}`);
  }

  /** Validate and store a YAML template as one of the user's own. */
  addTemplate(source: string, id?: string): Promise<ITemplateWithSource> {
    return this.call('/templates', 'POST', id ? { source, id } : { source });
  }

  async deleteTemplate(id: string): Promise<void> {
    await this.call<void>(`/templates/${segment(id)}`, 'DELETE');
  }

  // -- services ----------------------------------------------------------------------

  services(): Promise<IService[]> {
    return this.call('/services');
  }

  service(name: string): Promise<IService> {
    return this.call(`/services/${segment(name)}`);
  }

  launch(launch: ILaunch): Promise<IService> {
    const body: Record<string, unknown> = {
      template: launch.template,
      values: launch.values
    };
    if (launch.name) {
      body.name = launch.name;
    }
    return this.call('/services', 'POST', body);
  }

  remove(name: string): Promise<IRemovedService> {
    return this.call(`/services/${segment(name)}`, 'DELETE');
  }

  logs(name: string, tail?: number): Promise<IServiceLogs> {
    return this.call(`/services/${segment(name)}/logs${query({ tail })}`);
  }

  // -- images (the hub service's registry gateway) -------------------------------------

  registry(): Promise<IRegistryInfo> {
    return this.call('/images');
  }

  repositories(last?: string, n?: number): Promise<IRepositoryPage> {
    return this.call(`/images/repositories${query({ n, last })}`);
  }

  tags(repository: string, last?: string, n?: number): Promise<ITagPage> {
    return this.call(
      `/images/repositories/${repositoryPath(repository)}/tags${query({ n, last })}`
    );
  }

  image(repository: string, tag: string): Promise<IImageDetails> {
    return this.call(
      `/images/repositories/${repositoryPath(repository)}/tags/${segment(tag)}`
    );
  }

  /** Admins: delete the image `tag` names, if it still is `digest`. */
  deleteImage(
    repository: string,
    tag: string,
    digest?: string
  ): Promise<IDeletedImage> {
    const path = `/images/repositories/${repositoryPath(repository)}/tags/${segment(tag)}`;
    return this.call(path + query({ digest }), 'DELETE');
  }

  /** Announce an upload (everything refusable is refused here, before any data). */
  announceUpload(repository: string, tag: string, replace = false): Promise<IUpload> {
    return this.call('/images/uploads', 'POST', { repository, tag, replace });
  }

  upload(id: string): Promise<IUpload> {
    return this.call(`/images/uploads/${segment(id)}`);
  }

  async forgetUpload(id: string): Promise<void> {
    await this.call<void>(`/images/uploads/${segment(id)}`, 'DELETE');
  }

  /** Send an announced upload's archive; progress as bytes sent. */
  sendArchive(
    id: string,
    archive: Blob,
    onProgress?: (sent: number, total: number) => void
  ): IUploadHandle {
    return sendArchive(this.connection, id, archive, onProgress);
  }
}
