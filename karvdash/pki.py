"""Private CAs and serving certificates (the dev cluster's API server, the webhook).

:func:`ensure_certificates` keeps, in one folder, ``ca.crt``/``ca.key`` (a CA made once)
and ``<stem>.crt``/``<stem>.key`` (a serving certificate it signs). Existing files are
reused; the serving certificate is made again when it is missing, expires within 30 days
or lacks a requested name. New keys are ECDSA P-256; files are written atomically, keys
with mode 0600.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVING_DAYS = 365
RENEW_BEFORE = datetime.timedelta(days=30)

GeneralName = x509.DNSName | x509.IPAddress
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class CertificateFiles:
    """A CA certificate and a serving certificate with its key."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def ca_pem(self) -> bytes:
        return self.ca_file.read_bytes()


def general_name(value: str) -> GeneralName:
    """An IP address SAN for ``127.0.0.1``/``::1``, a DNS SAN otherwise."""
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def write_file(path: Path, data: bytes, private: bool = False) -> None:
    """Write atomically (a reader never sees half a file); ``private`` means mode 0600."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def key_pem(key: SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
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


def make_serving(
    names: list[str], ca: x509.Certificate, ca_key: SigningKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A server certificate for ``names`` (DNS names or IP addresses) signed by the CA."""
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


def serving_is_good(path: Path, ca: x509.Certificate, names: Iterable[str]) -> bool:
    """The certificate at ``path`` is from ``ca``, names every name, and is not expiring."""
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


def _load_ca_key(path: Path) -> SigningKey:
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{path} is neither an ECDSA nor an RSA key")
    return loaded


def ensure_certificates(
    directory: str | os.PathLike[str], names: Iterable[str], ca_name: str, stem: str = "tls"
) -> CertificateFiles:
    """Make (or reuse) a CA and a serving certificate for ``names`` in ``directory``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = CertificateFiles(folder / "ca.crt", folder / f"{stem}.crt", folder / f"{stem}.key")
    ca_key_file = folder / "ca.key"
    wanted = list(dict.fromkeys(names))
    ca_key: SigningKey
    if files.ca_file.is_file() and ca_key_file.is_file():
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        ca_key = _load_ca_key(ca_key_file)
    else:
        ca, ca_key = make_ca(ca_name)
        write_file(ca_key_file, key_pem(ca_key), private=True)
        write_file(files.ca_file, ca.public_bytes(serialization.Encoding.PEM))
        files.cert_file.unlink(missing_ok=True)
    if not (serving_is_good(files.cert_file, ca, wanted) and files.key_file.is_file()):
        cert, key = make_serving(wanted, ca, ca_key)
        write_file(files.key_file, key_pem(key), private=True)
        write_file(files.cert_file, cert.public_bytes(serialization.Encoding.PEM))
    return files


def ensure_rsa_keypair(directory: Path, name: str) -> tuple[Path, Path]:
    """An RSA key pair ``<name>.key``/``<name>.pub`` (service-account token signing)."""
    private, public = directory / f"{name}.key", directory / f"{name}.pub"
    if private.exists() and public.exists():
        return private, public
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_file(private, key_pem(key), private=True)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_file(public, pub)
    return private, public
