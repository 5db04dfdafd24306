"""The services' sign-in cookies and the one-time tickets that set them (pure).

A **cookie** says "``user`` may open ``host`` until ``expires``" (``admin``: the hub
service issued it to an admin who is not the owner). It is bound to one service host:
the browser keeps it for that host only (no ``Domain``), and :meth:`Signer.read_cookie`
refuses it for any other host, so a cookie is worthless anywhere but where it was set.

A **ticket** carries the same claim across from the hub (which cannot set a cookie for
another host) to the service's host, in the query parameter :data:`TICKET_PARAM`. It lives
:data:`TICKET_SECONDS` and names a random nonce, so the caller can refuse a second use.

Both are ``<payload>.<signature>`` in base64url: the payload is ``kind|expires|admin|host|
[nonce|]user`` (the user last: names may hold any character) and the signature its
HMAC-SHA256 under a key derived from the service's secret for that kind, so a ticket can
never pass as a cookie or the other way round.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

TICKET_PARAM = "karvdash-ingress-ticket"
"""Query parameter of the address that turns a ticket into a cookie on the service's host."""

TICKET_SECONDS = 60
SECRET_BYTES = 32
CACHED_COOKIES = 10_000
"""Correctly signed cookies remembered, so a cookie's signature is checked once, not at
every request it comes with (the cache starts over when full)."""


@dataclass(frozen=True)
class Grant:
    """What a valid cookie or ticket says."""

    user: str
    host: str
    admin: bool
    expires: int
    nonce: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks cookies and tickets with one secret (at least 16 bytes)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the ingress cookie secret must be at least 16 bytes")
        self._keys = {
            kind: hmac.digest(secret, f"karvdash ingress {kind}".encode(), "sha256")
            for kind in ("c", "t")
        }
        self._signed: dict[str, Grant] = {}  # cookie value -> what it says

    def _sign(self, kind: str, fields: list[str]) -> str:
        payload = "|".join([kind, *fields]).encode("utf-8")
        return f"{_b64(payload)}.{_b64(hmac.digest(self._keys[kind], payload, 'sha256'))}"

    def _open(self, kind: str, value: str, count: int) -> list[str] | None:
        """The fields of a correctly signed ``kind`` value, else None."""
        head, dot, tail = value.partition(".")
        if not dot or len(value) > 4096:
            return None
        try:
            payload, signature = _unb64(head), _unb64(tail)
        except (binascii.Error, ValueError):
            return None
        expected = hmac.digest(self._keys[kind], payload, "sha256")
        if not hmac.compare_digest(signature, expected):
            return None
        fields = payload.decode("utf-8", "replace").split("|", count)
        if len(fields) != count + 1 or fields[0] != kind:
            return None
        return fields[1:]

    def cookie(self, user: str, host: str, *, admin: bool, expires: int) -> str:
        return self._sign("c", [str(expires), "1" if admin else "0", host, user])

    def read_cookie(self, value: str, host: str, now: float) -> Grant | None:
        """The grant of a cookie sent to ``host``; None if forged, expired or another host's."""
        grant = self._signed.get(value)
        if grant is None:
            fields = self._open("c", value, 4)
            if fields is None:
                return None
            expires, admin, bound, user = fields
            if not expires.isdigit() or not user:
                return None
            grant = Grant(user, bound, admin == "1", int(expires))
            if len(self._signed) >= CACHED_COOKIES:
                self._signed.clear()
            self._signed[value] = grant
        if grant.host != host or grant.expires <= now:
            return None
        return grant

    def ticket(self, user: str, host: str, *, admin: bool, now: float) -> str:
        expires = int(now) + TICKET_SECONDS
        nonce = secrets.token_urlsafe(12)
        return self._sign("t", [str(expires), "1" if admin else "0", host, nonce, user])

    def read_ticket(self, value: str, now: float | None) -> Grant | None:
        """The grant of a ticket; None if forged or (unless ``now`` is None) expired."""
        fields = self._open("t", value, 5)
        if fields is None:
            return None
        expires, admin, host, nonce, user = fields
        if not expires.isdigit() or not user or (now is not None and int(expires) <= now):
            return None
        return Grant(user, host, admin == "1", int(expires), nonce)


def cookie_values(header: str, name: str) -> list[str]:
    """Every value of cookie ``name`` in a ``Cookie`` header (a browser may send several)."""
    if name not in header:
        return []
    found = []
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            found.append(value.strip().strip('"'))
    return found


def without_cookie(header: str, name: str) -> str:
    """A ``Cookie`` header without cookie ``name`` (every copy); the others as sent.

    Also after a comma: Tornado joins a request's several ``Cookie`` headers with ``,``
    (``a=1,karvdash-ingress=X``), and no cookie value may hold a comma (RFC 6265), so a
    comma-separated piece named ``name`` is a cookie of its own; other commas stay.
    """
    if name not in header:
        return header
    kept = []
    for part in header.split(";"):
        pieces = [p for p in part.split(",") if p.partition("=")[0].strip() != name]
        rest = ",".join(pieces).strip()
        if rest:
            kept.append(rest)
    return "; ".join(kept)


def load_secret(path: str) -> bytes:
    """The key in ``path`` (hex), made with mode 0600 when the file is missing; with an
    empty ``path``, a new random key. A file that holds no usable key is an error."""
    if not path:
        return os.urandom(SECRET_BYTES)
    file = Path(path)
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(SECRET_BYTES) + "\n")
    text = file.read_text().strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path} must hold the key as hex digits") from None
    if len(secret) < 16:
        raise ValueError(f"{path} holds a key of {len(secret)} bytes; at least 16 are needed")
    return secret
