"""``karvdash-webhook`` / ``python -m karvdash_webhook``: run the admission webhook.

Examples::

    # in a cluster (Deployment in deploy/webhook/): certificate from a Secret
    karvdash-webhook --cert-file /tls/tls.crt --key-file /tls/tls.key

    # next to a development API server on loopback, registering itself
    karvdash-webhook --kubeconfig KUBECONFIG --self-signed DIR --san 127.0.0.1 \\
        --address 127.0.0.1 --port 8443 --register --url https://127.0.0.1:8443

Settings come from ``--config`` (or ``$KARVDASH_CONFIG_FILE``) and ``KARVDASH_*``
variables; the options below override them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config import ConfigException
from traitlets import TraitError

from karvdash.settings import Karvdash, load_settings

from .admission import Webhook
from .certs import ensure_self_signed
from .kube import api_client, register, unregister
from .namespaces import KubernetesNamespaceDirectory, NamespaceDirectory, StaticNamespaceDirectory
from .policy import Policy
from .registration import CONFIGURATION_NAME, webhook_configurations
from .server import WebhookServer, ssl_context

log = logging.getLogger("karvdash_webhook")


class UsageError(Exception):
    """Options that do not fit together; reported without a traceback."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="karvdash-webhook",
        description="The Karvdash admission webhook (storage domains and pod restrictions).",
    )
    p.add_argument("--config", metavar="FILE", help="Karvdash settings file (.py or .json)")
    p.add_argument("--address", help="address to listen on (setting webhook_address)")
    p.add_argument("--port", type=int, help="port to listen on, 0 for any (webhook_port)")
    tls = p.add_argument_group("TLS")
    tls.add_argument("--cert-file", help="serving certificate, PEM (webhook_cert_file)")
    tls.add_argument("--key-file", help="its private key, PEM (webhook_key_file)")
    tls.add_argument(
        "--self-signed",
        metavar="DIR",
        help="make (or reuse) a CA and a serving certificate in DIR and serve that",
    )
    tls.add_argument(
        "--san",
        action="append",
        default=[],
        help="extra DNS name or IP address for the self-signed certificate (repeatable)",
    )
    tls.add_argument("--ca-file", help="CA of --cert-file, for --register (PEM)")
    kube = p.add_argument_group("Kubernetes")
    kube.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig (default: in-cluster)")
    kube.add_argument(
        "--namespace",
        action="append",
        default=[],
        metavar="NS=SLUG",
        help="fixed namespace -> user label mapping instead of watching the API (tests, bench)",
    )
    kube.add_argument(
        "--register",
        action="store_true",
        help="create or replace the webhook configurations once listening",
    )
    kube.add_argument(
        "--url",
        help="register this base URL (e.g. https://127.0.0.1:8443; without a port, the "
        "listening port is added) instead of a Service reference",
    )
    kube.add_argument("--service-name", default="karvdash-webhook", help="the webhook's Service")
    kube.add_argument("--service-namespace", default="karvdash", help="namespace of the Service")
    kube.add_argument("--configuration-name", default=CONFIGURATION_NAME)
    kube.add_argument(
        "--unregister-on-exit",
        action="store_true",
        help="delete the webhook configurations when stopping (development only)",
    )
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING...")
    return p


def static_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        namespace, sep, slug = pair.partition("=")
        if not sep or not namespace or not slug:
            raise UsageError(f"--namespace wants NS=SLUG, not {pair!r}")
        mapping[namespace] = slug
    return mapping


def registration_url(url: str, port: int) -> str:
    """``url`` with the listening port added when it names none."""
    parts = urlsplit(url)
    if parts.port is not None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))


@dataclass(frozen=True)
class Plan:
    """What the options and settings resolve to, before anything listens."""

    settings: Karvdash
    cert_file: str
    key_file: str
    ca_pem: bytes | None


def plan(options: argparse.Namespace) -> Plan:
    """Load the settings and the certificate files (blocking I/O, before the loop)."""
    static_mapping(options.namespace)  # fail early on a bad --namespace
    overrides: dict[str, Any] = {}
    for option, setting in (
        ("address", "webhook_address"),
        ("port", "webhook_port"),
        ("cert_file", "webhook_cert_file"),
        ("key_file", "webhook_key_file"),
    ):
        if getattr(options, option) is not None:
            overrides[setting] = getattr(options, option)
    settings = load_settings(config_file=options.config, overrides=overrides)

    cert, key, ca_pem = settings.webhook_cert_file, settings.webhook_key_file, None
    if options.self_signed:
        files = ensure_self_signed(
            options.self_signed, options.service_name, options.service_namespace, options.san
        )
        cert, key, ca_pem = str(files.cert_file), str(files.key_file), files.ca_pem()
    if options.ca_file:
        ca_pem = Path(options.ca_file).read_bytes()
    if not cert or not key:
        raise UsageError("no certificate: give --cert-file and --key-file, or --self-signed DIR")
    if options.register and ca_pem is None:
        raise UsageError("--register needs the CA: give --self-signed DIR or --ca-file")
    return Plan(settings, cert, key, ca_pem)


async def serve(options: argparse.Namespace, stop: asyncio.Event) -> None:
    """Run the webhook described by parsed ``options`` until ``stop`` is set."""
    resolved = await asyncio.to_thread(plan, options)
    settings = resolved.settings
    api = None
    if options.register or not options.namespace:
        api = await api_client(options.kubeconfig)
    prefix = settings.namespace_prefix
    directory: NamespaceDirectory = (
        StaticNamespaceDirectory(static_mapping(options.namespace), prefix=prefix)
        if options.namespace
        else KubernetesNamespaceDirectory(api, prefix=prefix)
    )
    webhook = Webhook(Policy.from_settings(settings), directory)
    server = WebhookServer(
        webhook,
        ssl_context(resolved.cert_file, resolved.key_file),
        address=settings.webhook_address,
        port=settings.webhook_port,
    )
    server.registered = not options.register
    try:
        port = await server.start()
        if options.register:
            url = registration_url(options.url, port) if options.url else None
            assert resolved.ca_pem is not None
            mutating, validating = webhook_configurations(
                resolved.ca_pem,
                url=url,
                service_name=options.service_name,
                service_namespace=options.service_namespace,
                name=options.configuration_name,
            )
            await register(api, mutating, validating)
            server.registered = True
        await stop.wait()
        log.info("stopping")
    finally:
        await server.stop()
        if api is not None:
            if options.unregister_on_exit:
                await unregister(api, options.configuration_name)
            await api.close()


async def _main(options: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(options, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``karvdash-webhook``; returns the exit status."""
    options = parser().parse_args(argv)
    logging.basicConfig(
        level=options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The client logs whole response bodies at DEBUG: too much, even when debugging.
    logging.getLogger("kubernetes_asyncio").setLevel(logging.INFO)
    try:
        asyncio.run(_main(options))
    except UsageError as exc:
        print(f"karvdash-webhook: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TraitError, ConfigException, ApiException) as exc:
        log.error("cannot run the webhook: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
