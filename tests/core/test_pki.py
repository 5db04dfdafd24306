"""The core PKI: a CA made once, serving certificates renewed when their names change."""

from __future__ import annotations

import contextlib
import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509

from karvdash.pki import ensure_certificates, ensure_rsa_keypair


def test_certificates_are_reused_and_made_again_for_new_names(tmp_path: Path) -> None:
    first = ensure_certificates(tmp_path, ["127.0.0.1", "svc"], "test CA", stem="api")
    ca_before = first.ca_file.read_bytes()
    cert_before = first.cert_file.read_bytes()
    again = ensure_certificates(tmp_path, ["127.0.0.1", "svc"], "test CA", stem="api")
    assert again.cert_file.read_bytes() == cert_before
    wider = ensure_certificates(tmp_path, ["127.0.0.1", "svc", "other"], "test CA", stem="api")
    assert wider.ca_file.read_bytes() == ca_before
    cert = x509.load_pem_x509_certificate(wider.cert_file.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["svc", "other"]
    assert stat.S_IMODE(wider.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca.key").stat().st_mode) == 0o600


def _handshake(cert_dir: Path, trust: Path) -> None:
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_dir / "tls.crt", cert_dir / "tls.key")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with (
            contextlib.suppress(ssl.SSLError, OSError),
            server_ctx.wrap_socket(conn, server_side=True),
        ):
            pass
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        client_ctx = ssl.create_default_context(cafile=str(trust))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            client_ctx.wrap_socket(raw, server_hostname="127.0.0.1").close()
    finally:
        thread.join(5)
        listener.close()


def test_serving_certificate_verifies_against_its_ca_only(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path / "a", ["127.0.0.1"], "CA a")
    other = ensure_certificates(tmp_path / "b", ["127.0.0.1"], "CA b")
    _handshake(tmp_path / "a", files.ca_file)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(tmp_path / "a", other.ca_file)


def test_rsa_keypair_is_made_once(tmp_path: Path) -> None:
    private, public = ensure_rsa_keypair(tmp_path, "sa")
    text = private.read_bytes()
    assert ensure_rsa_keypair(tmp_path, "sa") == (private, public)
    assert private.read_bytes() == text
    assert b"PUBLIC KEY" in public.read_bytes()
