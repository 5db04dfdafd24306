"""The self-signed bootstrap: a CA and a serving certificate that verify."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from karvdash_webhook.certs import ensure_self_signed


def sans(path: Path) -> x509.SubjectAlternativeName:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def test_serving_certificate_names_the_service_and_extra_sans(tmp_path: Path) -> None:
    files = ensure_self_signed(tmp_path, "hook", "system", ["127.0.0.1", "hook.example.org"])
    names = sans(files.cert_file)
    assert names.get_values_for_type(x509.DNSName) == [
        "hook",
        "hook.system",
        "hook.system.svc",
        "hook.system.svc.cluster.local",
        "hook.example.org",
    ]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(files.ca_pem()))


def test_private_keys_are_private(tmp_path: Path) -> None:
    files = ensure_self_signed(tmp_path)
    for key in (files.key_file, tmp_path / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_existing_files_are_reused(tmp_path: Path) -> None:
    first = ensure_self_signed(tmp_path, extra_sans=["127.0.0.1"])
    before = (first.ca_pem(), first.cert_file.read_bytes(), first.key_file.read_bytes())
    again = ensure_self_signed(tmp_path, extra_sans=["127.0.0.1"])
    assert (again.ca_pem(), again.cert_file.read_bytes(), again.key_file.read_bytes()) == before


def test_new_name_reissues_the_certificate_with_the_same_ca(tmp_path: Path) -> None:
    first = ensure_self_signed(tmp_path)
    ca = first.ca_pem()
    old_cert = first.cert_file.read_bytes()
    again = ensure_self_signed(tmp_path, extra_sans=["::1"])
    assert again.ca_pem() == ca
    assert again.cert_file.read_bytes() != old_cert
    assert ipaddress.ip_address("::1") in sans(again.cert_file).get_values_for_type(x509.IPAddress)
