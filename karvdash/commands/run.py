"""Run one parsed verb (see :mod:`.parser`): settings, identity, session, verb, close."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from traitlets import TraitError

from ..errors import InvalidRequest
from ..settings import load_settings
from . import verbs
from .identity import resolve_identity
from .output import Result
from .parser import UsageError, parse_assignments
from .session import Session


class SetupError(RuntimeError):
    """The settings or the kubeconfig cannot be used (the message says why)."""


def open_session(args: argparse.Namespace) -> Session:
    """A session from the common options (``--config``, ``--user``, ...) and the environment."""
    try:
        settings = load_settings(config_file=args.config)
    except (TraitError, OSError, SyntaxError) as exc:
        raise SetupError(f"the Karvdash settings are unusable: {exc}") from exc
    identity = resolve_identity(settings, user=args.user, namespace=args.namespace)
    kubeconfig = str(Path(args.kubeconfig).expanduser()) if args.kubeconfig else None
    return Session(settings, identity, kubeconfig)


def read_source(path: str) -> str:
    """A template file's text (``-``: standard input)."""
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"cannot read the template file {path}: {exc}") from exc


async def execute(args: argparse.Namespace, source: str | None = None) -> Result:
    """Run ``args.verb``; ``source`` is the template text for ``template add``."""
    values = parse_assignments(args.values) if args.verb == "launch" else {}
    if args.verb == "template" and args.action == "add" and source is None:
        source = read_source(args.file)
    async with open_session(args) as session:
        if args.verb == "templates":
            return await verbs.templates(session)
        if args.verb == "services":
            return await verbs.services(session)
        if args.verb == "info":
            return await verbs.info(session)
        if args.verb == "images":
            return await verbs.images(session, args.repository)
        if args.verb == "launch":
            return await verbs.launch(session, args.template, values, args.name)
        if args.verb == "logs":
            return await verbs.logs(session, args.service, args.tail)
        if args.verb == "stop":
            return await verbs.stop(session, args.service)
        if args.verb == "template" and args.action == "add":
            assert source is not None
            return await verbs.template_add(session, source, args.template_id)
        if args.verb == "template" and args.action == "get":
            return await verbs.template_get(session, args.id)
        if args.verb == "template" and args.action == "delete":
            return await verbs.template_delete(session, args.id)
    raise UsageError(f"unknown command {args.verb}")
