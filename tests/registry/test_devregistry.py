"""The dev registry: TLS and a password, the same address and images after a restart."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from karvdash.devcluster.registry import DevRegistry, RegistryError

from .conftest import make_gateway
from .helpers import push_tiny


async def test_a_restarted_registry_keeps_address_credentials_and_images(tmp_path: Path) -> None:
    first = DevRegistry(tmp_path).start()
    try:
        url, password = first.url, first.password
        gw = make_gateway(first)
        digest = await push_tiny(gw, "keep/me", "v1")
        await gw.close()
    finally:
        first.stop()
    second = DevRegistry(tmp_path).start()
    try:
        assert (second.url, second.password) == (url, password)
        gw = make_gateway(second)
        assert await gw.exists("keep/me", "v1") == digest
        await gw.close()
    finally:
        second.stop()


def test_it_wants_tls_and_the_password(registry: DevRegistry) -> None:
    assert registry.url.startswith("https://127.0.0.1:")
    context = ssl.create_default_context(cafile=str(registry.ca_file))
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{registry.url}/v2/", context=context, timeout=5)  # noqa: S310
    assert err.value.code == 401
    err.value.close()
    with pytest.raises(urllib.error.URLError):  # a client that does not trust its CA
        urllib.request.urlopen(f"{registry.url}/v2/", timeout=5)  # noqa: S310
    assert (registry.state_dir / "htpasswd").stat().st_mode & 0o077 == 0
    assert registry.settings_env()["KARVDASH_REGISTRY_CA_FILE"] == str(registry.ca_file)


def test_a_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="docker-registry"):
        DevRegistry(tmp_path, binary=str(tmp_path / "nope")).start()
