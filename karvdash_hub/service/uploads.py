"""Uploads in progress, per user, so a caller can poll how far theirs has got.

An upload is announced first (``POST .../uploads``: names checked, permission and an
existing tag refused before any data is sent), then its archive is sent to
``PUT .../uploads/<id>`` while ``GET .../uploads/<id>`` reports its
:class:`~karvdash.registry.upload.UploadProgress`. Finished uploads are forgotten after
:attr:`Uploads.keep` seconds; each user may have :attr:`Uploads.per_user` unfinished ones.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from karvdash.errors import Conflict
from karvdash.registry.errors import RegistryNotFound
from karvdash.registry.upload import UploadProgress


@dataclass
class Upload:
    id: str
    owner: str
    replace: bool
    progress: UploadProgress

    @property
    def finished(self) -> bool:
        return self.progress.state in ("done", "failed")


class Uploads:
    def __init__(self, per_user: int = 4, keep: float = 3600.0) -> None:
        self.per_user = per_user
        self.keep = keep
        self._items: dict[str, Upload] = {}

    def _expire(self) -> None:
        now = time.time()
        for key, item in list(self._items.items()):
            done_at = item.progress.finished
            waiting_since = item.progress.started
            if (done_at and now - done_at > self.keep) or (
                item.progress.state == "waiting" and now - waiting_since > self.keep
            ):
                del self._items[key]

    def create(self, owner: str, repository: str, tag: str, replace: bool) -> Upload:
        self._expire()
        open_ones = [u for u in self._items.values() if u.owner == owner and not u.finished]
        if len(open_ones) >= self.per_user:
            raise Conflict(
                f"you have {len(open_ones)} unfinished uploads; finish or cancel one first"
            )
        upload = Upload(secrets.token_urlsafe(12), owner, replace, UploadProgress(repository, tag))
        self._items[upload.id] = upload
        return upload

    def get(self, owner: str, upload_id: str) -> Upload:
        upload = self._items.get(upload_id)
        if upload is None or upload.owner != owner:
            raise RegistryNotFound(f"no upload {upload_id!r} of yours")
        return upload

    def cancel(self, owner: str, upload_id: str) -> None:
        upload = self.get(owner, upload_id)
        if upload.progress.state != "waiting":
            raise Conflict("the upload has started; close its connection to stop it")
        del self._items[upload_id]

    def of(self, owner: str) -> list[Upload]:
        self._expire()
        return [u for u in self._items.values() if u.owner == owner]
