"""Certificates between the API server and the local kubelet, from the dev cluster's CA.

As on a kubeadm cluster: the API server calls the kubelet with a client certificate
(``--kubelet-client-certificate``/``--kubelet-client-key``, common name
:data:`KUBELET_CLIENT`) and checks the kubelet's serving certificate against the cluster
CA (``--kubelet-certificate-authority``); the kubelet serves with a certificate for the
node's address and accepts only that client. The client certificate names no group, so
it gives no rights at the API server (which trusts the same CA for its own clients).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .. import pki

KUBELET_CLIENT = "kube-apiserver-kubelet-client"
"""The identity the API server presents to kubelets; the only one the local kubelet serves."""

CLIENT_STEM = "apiserver-kubelet-client"
KUBELET_STEM = "kubelet"
CLIENT_DAYS = 365


def make_client(
    common_name: str,
    ca: x509.Certificate,
    ca_key: pki.SigningKey,
    groups: tuple[str, ...] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A client certificate for user ``common_name`` (and ``groups``) signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
        + [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CLIENT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _client_is_good(path: Path, ca: x509.Certificate, common_name: str) -> bool:
    if not path.is_file():
        return False
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    fresh = cert.not_valid_after_utc - pki.RENEW_BEFORE > datetime.datetime.now(
        datetime.timezone.utc
    )
    return cert.issuer == ca.subject and fresh and [n.value for n in names] == [common_name]


def ensure_client_certificate(
    directory: Path, common_name: str = KUBELET_CLIENT, stem: str = CLIENT_STEM
) -> tuple[Path, Path]:
    """``<stem>.crt``/``<stem>.key`` for ``common_name``, signed by ``directory``'s CA
    (made again when missing, expiring, or for another name)."""
    cert_file, key_file = directory / f"{stem}.crt", directory / f"{stem}.key"
    ca = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    if _client_is_good(cert_file, ca, common_name) and key_file.is_file():
        return cert_file, key_file
    loaded = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{directory / 'ca.key'} is neither an ECDSA nor an RSA key")
    cert, key = make_client(common_name, ca, loaded)
    pki.write_file(key_file, pki.key_pem(key), private=True)
    pki.write_file(cert_file, cert.public_bytes(serialization.Encoding.PEM))
    return cert_file, key_file


def ensure_kubelet_serving(directory: Path, names: list[str]) -> pki.CertificateFiles:
    """The kubelet's serving certificate for the node's address and name, from the CA of
    ``directory`` (the control plane's)."""
    return pki.ensure_certificates(directory, names, "karvdash-dev-ca", stem=KUBELET_STEM)
