"""A self-signed bootstrap: a private CA and the webhook's serving certificate.

:func:`ensure_self_signed` keeps, in one folder, ``ca.crt``/``ca.key`` (a CA made
once) and ``tls.crt``/``tls.key`` (the serving certificate it signs). Existing files are
reused; the serving certificate is made again when it is missing, expires within 30
days or lacks a requested name. The CA's PEM is what the webhook configurations carry
as ``caBundle``. Keys are ECDSA P-256, written with mode 0600.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVING_DAYS = 365
RENEW_BEFORE = datetime.timedelta(days=30)

GeneralName = x509.DNSName | x509.IPAddress


@dataclass(frozen=True)
class CertificateFiles:
    """Where the bootstrap wrote its files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def ca_pem(self) -> bytes:
        return self.ca_file.read_bytes()


def service_names(service: str, namespace: str) -> list[str]:
    """DNS names of a Service as the API server may call it."""
    return [
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.cluster.local",
    ]


def general_name(value: str) -> GeneralName:
    """An IP address SAN for ``127.0.0.1``/``::1``, a DNS SAN otherwise."""
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_serving(
    names: list[str], ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVING_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _serving_is_good(path: Path, ca: x509.Certificate, names: list[str]) -> bool:
    if not path.is_file():
        return False
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    if cert.issuer != ca.subject or cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return False
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return all(general_name(n) in sans for n in names)


def ensure_self_signed(
    directory: str | os.PathLike[str],
    service: str = "karvdash-webhook",
    namespace: str = "karvdash",
    extra_sans: list[str] | None = None,
) -> CertificateFiles:
    """Make (or reuse) the CA and a serving certificate for the webhook in ``directory``.

    The certificate names the Service's DNS names and every ``extra_sans`` entry
    (IP addresses such as ``127.0.0.1`` become IP SANs).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = CertificateFiles(folder / "ca.crt", folder / "tls.crt", folder / "tls.key")
    ca_key_file = folder / "ca.key"
    names = list(dict.fromkeys([*service_names(service, namespace), *(extra_sans or [])]))

    if files.ca_file.is_file() and ca_key_file.is_file():
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{ca_key_file} is not an ECDSA key")
        ca_key = loaded
    else:
        ca, ca_key = _make_ca(f"Karvdash webhook CA ({namespace}/{service})")
        _write(ca_key_file, _key_pem(ca_key), private=True)
        _write(files.ca_file, ca.public_bytes(serialization.Encoding.PEM))
        files.cert_file.unlink(missing_ok=True)

    if not (_serving_is_good(files.cert_file, ca, names) and files.key_file.is_file()):
        cert, key = _make_serving(names, ca, ca_key)
        _write(files.key_file, _key_pem(key), private=True)
        _write(files.cert_file, cert.public_bytes(serialization.Encoding.PEM))
    return files
