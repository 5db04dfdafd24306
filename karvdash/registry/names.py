"""The registry's naming rules (the grammar of the distribution "reference" package).

* a repository is path components joined by ``/``; each component is lower-case letters
  and digits, separated inside by one ``.``, one or two ``_`` or any number of ``-``;
  at most 255 characters in all (``team/app``, ``base-images/python3.11``);
* a tag is letters, digits, ``_``, ``.`` and ``-``, not starting with ``.`` or ``-``,
  at most 128 characters;
* a digest is ``<algorithm>:<hex>``; the gateway computes and accepts ``sha256`` and
  ``sha512``.
"""

from __future__ import annotations

import re

from .errors import InvalidName

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_{1,2}|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})")

MAX_REPOSITORY = 255


def check_repository(name: str) -> str:
    """``name`` if it is a valid repository name, else :class:`InvalidName`."""
    if not isinstance(name, str) or not name:
        raise InvalidName("a repository name is required")
    if len(name) > MAX_REPOSITORY:
        raise InvalidName(f"repository name is longer than {MAX_REPOSITORY} characters")
    if not _REPOSITORY.fullmatch(name):
        raise InvalidName(
            f"invalid repository name {name!r}: use lower-case letters, digits and '/'-separated "
            "parts, with '.', '_', '__' or '-' only between letters or digits"
        )
    return name


def check_tag(tag: str) -> str:
    """``tag`` if it is a valid tag, else :class:`InvalidName`."""
    if not isinstance(tag, str) or not tag:
        raise InvalidName("a tag is required")
    if not _TAG.fullmatch(tag):
        raise InvalidName(
            f"invalid tag {tag!r}: use at most 128 letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-'"
        )
    return tag


def check_digest(digest: str) -> str:
    """``digest`` if it is a ``sha256:``/``sha512:`` digest, else :class:`InvalidName`."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InvalidName(f"invalid digest {digest!r}: expected sha256:<64 hex digits>")
    return digest


def is_digest(value: str) -> bool:
    return bool(_DIGEST.fullmatch(value))
