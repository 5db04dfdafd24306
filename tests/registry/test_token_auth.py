"""A registry with token authentication (as Harbor or GitLab run it): the gateway trades
its credentials for bearer tokens at the realm the registry names.

The registry is Debian's docker-registry with ``auth.token``; the token service is a small
Tornado app of this test issuing ES256 JWTs (with the ``kid`` docker-registry computes
for the keys of its ``rootcertbundle``) to the right password, for the scopes asked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from tornado import httpserver, web

from karvdash.devcluster.processes import Supervisor, free_port
from karvdash.pki import ensure_certificates, make_ca
from karvdash.registry import RegistryClient, RegistryGateway, RegistryUnavailable

from .helpers import upload
from .images import Image, layer

SERVICE, ISSUER, USERNAME, PASSWORD = "test-registry", "test-issuer", "gw", "s3cret"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(key: ec.EllipticCurvePublicKey) -> str:
    """The key id docker-registry gives a trusted key (libtrust's format)."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def jwt(key: ec.EllipticCurvePrivateKey, access: list[dict[str, object]]) -> str:
    now = int(time.time())
    header = {"typ": "JWT", "alg": "ES256", "kid": libtrust_kid(key.public_key())}
    claims = {"iss": ISSUER, "sub": USERNAME, "aud": SERVICE, "exp": now + 300,
              "nbf": now - 10, "iat": now, "jti": str(now), "access": access}  # fmt: skip
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class TokenHandler(web.RequestHandler):
    def initialize(self, key: ec.EllipticCurvePrivateKey, issued: list[str]) -> None:
        self.key, self.issued = key, issued

    def get(self) -> None:
        expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        if self.request.headers.get("Authorization") != expected:
            raise web.HTTPError(401)
        access = []
        for scope in self.get_arguments("scope"):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
            self.issued.append(scope)
        self.write({"token": jwt(self.key, access), "expires_in": 300})


async def wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


@pytest.fixture
async def token_registry(tmp_path: Path) -> AsyncIterator[tuple[str, str, list[str]]]:
    """(registry URL, CA file, scopes issued) of a registry behind a token service."""
    key_cert, key = make_ca("test token signer")
    bundle = tmp_path / "token.crt"
    bundle.write_bytes(key_cert.public_bytes(serialization.Encoding.PEM))
    pki = ensure_certificates(tmp_path / "pki", ["127.0.0.1"], "test CA", "registry")
    issued: list[str] = []
    realm_port, port = free_port(), free_port()
    app = web.Application([("/token", TokenHandler, {"key": key, "issued": issued})])
    server = httpserver.HTTPServer(app)
    server.listen(realm_port, "127.0.0.1")
    config = {
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(tmp_path / "data")},
                    "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}",
                 "tls": {"certificate": str(pki.cert_file), "key": str(pki.key_file)}},
        "auth": {"token": {"realm": f"http://127.0.0.1:{realm_port}/token", "service": SERVICE,
                           "issuer": ISSUER, "rootcertbundle": str(bundle)}},
    }  # fmt: skip
    (tmp_path / "config.yml").write_text(json.dumps(config))
    supervisor = Supervisor(tmp_path / "logs")
    child = supervisor.start(
        "registry", ["/usr/bin/docker-registry", "serve", tmp_path / "config.yml"]
    )
    try:
        await wait_listening(port)
        assert child.alive(), child.log_tail()
        yield f"https://127.0.0.1:{port}", str(pki.ca_file), issued
    finally:
        supervisor.stop_all()
        server.stop()


async def test_the_gateway_works_with_a_token_registry(
    token_registry: tuple[str, str, list[str]],
) -> None:
    url, ca_file, issued = token_registry
    client = RegistryClient(url, username=USERNAME, password=PASSWORD, ca_file=ca_file)
    gateway = RegistryGateway(client)
    try:
        await client.check()
        result = await upload(gateway, Image([layer({"a": b"1"})]).docker_archive(), "tok/app")
        assert (await gateway.repositories())["repositories"] == ["tok/app"]
        assert (await gateway.details("tok/app", "v1"))["digest"] == result.digest
        deleted = await gateway.delete("tok/app", "v1")
        assert deleted["removed_tags"] == ["v1"]
        assert {"repository:tok/app:pull,push", "registry:catalog:*",
                "repository:tok/app:delete"} <= set(issued)  # fmt: skip
    finally:
        await gateway.close()


async def test_wrong_credentials_for_the_token_service_are_reported(
    token_registry: tuple[str, str, list[str]],
) -> None:
    url, ca_file, _ = token_registry
    async with RegistryClient(url, username=USERNAME, password="wrong", ca_file=ca_file) as client:
        with pytest.raises(RegistryUnavailable, match="credentials to issue a token"):
            await client.repositories()
