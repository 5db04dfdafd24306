/**
 * The shapes of the Karvdash REST API (docs/openapi.yaml, docs/registry.md).
 */

/** A value of a template variable. */
export type Value = string | number | boolean;

export type VariableType = 'string' | 'integer' | 'boolean';

/** A variable a user sets when launching a template. */
export interface IVariable {
  name: string;
  default: Value | null;
  help: string;
  type: VariableType;
  choices: Value[];
  required: boolean;
  pattern: string | null;
  /** A secret (a password): hidden in forms, not recorded with the service. */
  secret?: boolean;
}

/** A template as listed. */
export interface ITemplate {
  id: string;
  name: string;
  description: string;
  singleton: boolean;
  /** A system template (read-only) or the user's own. */
  system: boolean;
  variables: IVariable[];
  kinds: string[];
}

export interface ITemplateWithSource extends ITemplate {
  source: string;
}

export type ServiceStatus =
  'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Terminating';

export interface IObjectRef {
  kind: string;
  name: string;
}

/** A running template instance. */
export interface IService {
  name: string;
  template: string;
  created: string | null;
  status: ServiceStatus;
  /** Why it is not Running (`ImagePullBackOff`). */
  reason: string;
  url: string | null;
  values: Record<string, Value>;
  objects: IObjectRef[];
  pods: string[];
}

export interface IRemovedService {
  name: string;
  objects: IObjectRef[];
}

export interface IServiceLogs {
  name: string;
  /** Keyed `<pod>/<container>`. */
  logs: Record<string, string>;
}

export interface IDomain {
  name: string;
  mount_path: string;
  per_user: boolean;
  read_only: boolean;
}

export interface IInfo {
  user: string;
  namespace: string;
  domains: IDomain[];
  ingress_domain: string;
  service_url: string;
  registry_url: string;
  version: string;
}

/** `GET /images`: the registry's address, the caller, whether they administer it. */
export interface IRegistryInfo {
  registry: string;
  gc: boolean;
  user: string;
  admin: boolean;
}

export interface IRepositoryPage {
  repositories: string[];
  next: string | null;
}

export interface ITagPage {
  repository: string;
  tags: string[];
  next: string | null;
}

export interface IPlatformDetails {
  os: string;
  architecture: string;
  variant: string;
  size: number | null;
  created: string;
  layers: number;
}

/** `GET /images/repositories/<repo>/tags/<tag>`. */
export interface IImageDetails extends IPlatformDetails {
  repository: string;
  tag: string;
  digest: string;
  media_type: string;
  kind: string;
  platforms?: IPlatformDetails[];
}

export interface IDeletedImage {
  digest: string;
  removed_tags: string[];
}

export type UploadState = 'waiting' | 'receiving' | 'finishing' | 'done' | 'failed';

/** An upload and how far it has got (`/images/uploads/<id>`). */
export interface IUpload {
  id: string;
  replace: boolean;
  repository: string;
  tag: string;
  state: UploadState;
  received: number;
  total: number | null;
  blobs: number;
  current: string;
  message: string;
  digest: string;
  layout: string;
  started: number;
  finished: number | null;
}

/** The settings of the extension (schema/plugin.json). */
export interface ISettings {
  /** Seconds between refreshes of a visible panel. */
  refreshInterval: number;
  /** The panel shown in the left sidebar when JupyterLab starts. */
  defaultView: 'services' | 'images' | 'none';
}

export const DEFAULT_SETTINGS: ISettings = {
  refreshInterval: 5,
  defaultView: 'none'
};

/** The plugin's id, also the settings' id. */
export const PLUGIN_ID = 'karvdash:plugin';

export const CommandIDs = {
  openServices: 'karvdash:open-services',
  openImages: 'karvdash:open-images',
  newService: 'karvdash:new-service',
  manageTemplates: 'karvdash:manage-templates',
  refreshServices: 'karvdash:refresh-services',
  refreshImages: 'karvdash:refresh-images',
  uploadImage: 'karvdash:upload-image',
  serviceLogs: 'karvdash:service-logs'
} as const;
