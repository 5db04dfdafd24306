"""A self-signed bootstrap: a private CA and the webhook's serving certificate.

:func:`ensure_self_signed` keeps, in one folder, ``ca.crt``/``ca.key`` (a CA made
once) and ``tls.crt``/``tls.key`` (the serving certificate it signs), through the core's
:func:`karvdash.pki.ensure_certificates`: existing files are reused; the serving
certificate is made again when it is missing, expires within 30 days or lacks a
requested name. The CA's PEM is what the webhook configurations carry as ``caBundle``.
"""

from __future__ import annotations

import os

from karvdash.pki import CertificateFiles, ensure_certificates, general_name

__all__ = ["CertificateFiles", "ensure_self_signed", "general_name", "service_names"]


def service_names(service: str, namespace: str) -> list[str]:
    """DNS names of a Service as the API server may call it."""
    return [
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.cluster.local",
    ]


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
    names = [*service_names(service, namespace), *(extra_sans or [])]
    return ensure_certificates(
        directory, names, f"Karvdash webhook CA ({namespace}/{service})", stem="tls"
    )
