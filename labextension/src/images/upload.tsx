/**
 * Upload a `docker save` or OCI archive: the file, where it goes, a progress bar and
 * a cancel button.
 */
import React, { useRef, useState } from 'react';

import { ITrans } from '../form';
import { notifyError, notifySuccess } from '../notify';
import { ImagesModel } from './model';

/** `1.5 MB`: bytes for people (powers of 1024, as the gateway counts). */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) {
    return '?';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A repository name from an archive's file name: `My App_v2.tar` -> `my-app-v2`. */
export function repositoryFromFile(user: string, fileName: string): string {
  const base = fileName
    .replace(/\.(tar(\.gz)?|tgz|oci)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const owner = user.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  return owner ? `${owner}/${base || 'image'}` : base || 'image';
}

export function UploadForm(props: { model: ImagesModel; trans: ITrans }): JSX.Element {
  const { model, trans } = props;
  const [file, setFile] = useState<File | null>(null);
  const [repository, setRepository] = useState('');
  const [tag, setTag] = useState('latest');
  const [error, setError] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const uploading = model.uploading;

  const pick = (picked: File | undefined): void => {
    setFile(picked ?? null);
    setError('');
    if (picked && !repository) {
      setRepository(repositoryFromFile(model.registry?.user ?? '', picked.name));
    }
  };

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    if (!file || !repository.trim() || !tag.trim()) {
      setError(trans.__('Choose an archive, a repository and a tag.'));
      return;
    }
    setError('');
    const repo = repository.trim();
    const name = tag.trim();
    try {
      const done = await model.upload(file, file.name, repo, name);
      notifySuccess(trans.__('Uploaded %1:%2', done.repository, done.tag));
      setFile(null);
      setRepository('');
      if (fileInput.current) {
        fileInput.current.value = '';
      }
      model.showUpload = false;
      await model.refresh().catch(() => undefined);
      await model.open(repo);
    } catch (failure) {
      const message = (failure as Error).message;
      if (!(failure as { cancelled?: boolean }).cancelled) {
        setError(message);
        notifyError(trans.__('Could not upload %1', file.name), failure);
      }
    }
  };

  if (uploading) {
    const percent = uploading.total
      ? Math.min(100, Math.floor((uploading.sent / uploading.total) * 100))
      : 0;
    const phase =
      uploading.phase === 'announcing'
        ? trans.__('Preparing…')
        : uploading.phase === 'finishing'
          ? trans.__('Writing the image to the registry…')
          : trans.__(
              '%1 of %2 (%3%)',
              formatBytes(uploading.sent),
              formatBytes(uploading.total),
              percent
            );
    return (
      <section
        className="jp-karvdash-upload"
        aria-label={trans.__('Upload in progress')}
      >
        <div>
          {trans.__(
            'Uploading %1 to %2:%3',
            uploading.file,
            uploading.repository,
            uploading.tag
          )}
        </div>
        <progress
          className="jp-karvdash-progressbar"
          max={100}
          value={uploading.phase === 'finishing' ? undefined : percent}
          aria-label={trans.__('Upload progress')}
        />
        <div className="jp-karvdash-help" aria-live="polite">
          {phase}
        </div>
        <div className="jp-karvdash-buttons">
          <button
            className="jp-Button jp-mod-styled jp-mod-warn"
            onClick={() => model.cancelUpload()}
          >
            {trans.__('Cancel upload')}
          </button>
        </div>
      </section>
    );
  }

  return (
    <form
      className="jp-karvdash-upload jp-karvdash-form"
      onSubmit={e => void submit(e)}
      aria-label={trans.__('Upload an image')}
      noValidate
    >
      <div className="jp-karvdash-field">
        <label htmlFor="jp-karvdash-archive">{trans.__('Image archive')}</label>
        <input
          id="jp-karvdash-archive"
          ref={fileInput}
          type="file"
          accept=".tar,.tgz,.gz,.oci,application/x-tar"
          onChange={e => pick(e.target.files?.[0])}
        />
        <div className="jp-karvdash-help">
          {trans.__('A "docker save" archive or an OCI archive (.tar).')}
        </div>
      </div>
      <div className="jp-karvdash-field">
        <label htmlFor="jp-karvdash-repository">{trans.__('Repository')}</label>
        <input
          id="jp-karvdash-repository"
          className="jp-mod-styled"
          type="text"
          spellCheck={false}
          value={repository}
          placeholder={trans.__('team/app')}
          onChange={e => setRepository(e.target.value)}
        />
      </div>
      <div className="jp-karvdash-field">
        <label htmlFor="jp-karvdash-tag">{trans.__('Tag')}</label>
        <input
          id="jp-karvdash-tag"
          className="jp-mod-styled"
          type="text"
          spellCheck={false}
          value={tag}
          onChange={e => setTag(e.target.value)}
        />
      </div>
      {error ? (
        <p className="jp-karvdash-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="jp-karvdash-buttons">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          onClick={() => {
            model.showUpload = false;
            model.emit();
          }}
        >
          {trans.__('Close')}
        </button>
        <button type="submit" className="jp-Button jp-mod-styled jp-mod-accept">
          {trans.__('Upload')}
        </button>
      </div>
    </form>
  );
}
