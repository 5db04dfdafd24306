"""Sign-in cookies and tickets: what they grant, and everything they refuse (no server)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from karvdash_hub.service.ingress_cookie import (
    CACHED_COOKIES,
    TICKET_SECONDS,
    Signer,
    cookie_values,
    load_secret,
    without_cookie,
)

KEY = b"k" * 32
HOST = "web-alice.example.org"
NOW = 1_700_000_000


def _retouch(value: str, old: str, new: str) -> str:
    """``value`` with ``old`` replaced by ``new`` in its payload, signature kept."""
    head, tail = value.split(".")
    payload = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode()
    forged = base64.urlsafe_b64encode(payload.replace(old, new).encode()).rstrip(b"=").decode()
    return f"{forged}.{tail}"


def test_a_cookie_grants_its_user_at_its_host_until_it_expires() -> None:
    signer = Signer(KEY)
    value = signer.cookie("alice", HOST, admin=False, expires=NOW + 60)
    grant = signer.read_cookie(value, HOST, NOW)
    assert grant is not None
    assert (grant.user, grant.host, grant.admin, grant.expires) == ("alice", HOST, False, NOW + 60)
    assert signer.read_cookie(value, HOST, NOW + 60) is None
    assert signer.read_cookie(value, HOST, NOW + 3600) is None


def test_user_names_with_any_character_survive() -> None:
    signer = Signer(KEY)
    name = "Ann|Lee; é=x"
    grant = signer.read_cookie(signer.cookie(name, HOST, admin=True, expires=NOW + 9), HOST, NOW)
    assert grant is not None
    assert grant.user == name
    assert grant.admin


def test_another_hosts_cookie_is_refused() -> None:
    signer = Signer(KEY)
    value = signer.cookie("alice", "files-alice.example.org", admin=False, expires=NOW + 60)
    assert signer.read_cookie(value, HOST, NOW) is None


def test_a_cookie_checked_once_is_still_bound_to_its_host_and_time() -> None:
    signer = Signer(KEY)
    value = signer.cookie("alice", HOST, admin=False, expires=NOW + 60)
    assert signer.read_cookie(value, HOST, NOW) is not None
    assert signer.read_cookie(value, "files-alice.example.org", NOW) is None
    assert signer.read_cookie(value, HOST, NOW + 61) is None
    assert signer.read_cookie(value, HOST, NOW + 1) is not None


def test_remembered_cookies_are_bounded() -> None:
    signer = Signer(KEY)
    for n in range(CACHED_COOKIES + 10):
        value = signer.cookie(f"user{n}", HOST, admin=False, expires=NOW + 60)
        assert signer.read_cookie(value, HOST, NOW) is not None
    assert len(signer._signed) <= CACHED_COOKIES


def test_a_cookie_with_a_changed_payload_is_refused() -> None:
    signer = Signer(KEY)
    value = signer.cookie("bob", HOST, admin=False, expires=NOW + 60)
    assert signer.read_cookie(_retouch(value, "bob", "alice"), HOST, NOW) is None
    assert signer.read_cookie(_retouch(value, str(NOW + 60), str(NOW + 10**6)), HOST, NOW) is None
    assert signer.read_cookie(_retouch(value, "|0|", "|1|"), HOST, NOW) is None


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    value = Signer(b"x" * 32).cookie("alice", HOST, admin=False, expires=NOW + 60)
    assert Signer(KEY).read_cookie(value, HOST, NOW) is None


@pytest.mark.parametrize("junk", ["", ".", "abc", "abc.def", "!!.??", "a" * 5000, "é.é"])
def test_garbage_is_refused(junk: str) -> None:
    assert Signer(KEY).read_cookie(junk, HOST, NOW) is None
    assert Signer(KEY).read_ticket(junk, NOW) is None


def test_a_ticket_is_not_a_cookie_nor_the_other_way_round() -> None:
    signer = Signer(KEY)
    ticket = signer.ticket("alice", HOST, admin=False, now=NOW)
    cookie = signer.cookie("alice", HOST, admin=False, expires=NOW + 60)
    assert signer.read_cookie(ticket, HOST, NOW) is None
    assert signer.read_ticket(cookie, NOW) is None


def test_a_ticket_lives_a_minute_and_names_a_fresh_nonce() -> None:
    signer = Signer(KEY)
    one, two = (signer.ticket("alice", HOST, admin=False, now=NOW) for _ in range(2))
    first, second = signer.read_ticket(one, NOW), signer.read_ticket(two, NOW)
    assert first is not None
    assert second is not None
    assert (first.user, first.host, first.expires) == ("alice", HOST, NOW + TICKET_SECONDS)
    assert first.nonce != second.nonce
    assert signer.read_ticket(one, NOW + TICKET_SECONDS) is None
    assert signer.read_ticket(one, None) == first  # no clock: only the signature counts


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Signer(b"short")


def test_every_value_of_the_cookie_is_found_and_only_its_own() -> None:
    header = 'theme=dark; karvdash-ingress=one; xkarvdash-ingress=no; karvdash-ingress="two"'
    assert cookie_values(header, "karvdash-ingress") == ["one", "two"]
    assert cookie_values("theme=dark", "karvdash-ingress") == []
    assert cookie_values("", "karvdash-ingress") == []


def test_the_secret_file_is_made_private_once_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    first = load_secret(str(path))
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(str(path)) == first


def test_a_secret_file_without_a_usable_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("not hex\n")
    with pytest.raises(ValueError, match="hex digits"):
        load_secret(str(path))
    path.write_text("abcd\n")
    with pytest.raises(ValueError, match="at least 16"):
        load_secret(str(path))


def test_without_a_file_every_start_has_a_new_key() -> None:
    assert load_secret("") != load_secret("")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("karvdash-ingress=secret", ""),
        ("a=1; karvdash-ingress=secret; b=2", "a=1; b=2"),
        ("a=1;karvdash-ingress=secret;b=2", "a=1; b=2"),
        ("karvdash-ingress=one; c=3; karvdash-ingress=two", "c=3"),
        ("xkarvdash-ingress=1; karvdash-ingressx=2", "xkarvdash-ingress=1; karvdash-ingressx=2"),
        ("session=abc; theme=a=b", "session=abc; theme=a=b"),
        ("a=1,karvdash-ingress=secret; b=2", "a=1; b=2"),  # two Cookie headers, joined
        ("karvdash-ingress=secret, b=2", "b=2"),
        ("list=x,y; karvdash-ingress=s", "list=x,y"),
        ("", ""),
    ],
)
def test_the_cookie_comes_off_the_header_and_the_others_stay(sent: str, kept: str) -> None:
    assert without_cookie(sent, "karvdash-ingress") == kept
