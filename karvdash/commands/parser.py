"""The verbs' command-line syntax, shared by ``karvdash <verb>`` and ``%karvdash <verb>``.

::

    templates | services | info | images [REPOSITORY]
    launch TEMPLATE [VAR=value ...] [--name NAME]
    logs SERVICE [--tail N]
    stop SERVICE
    template add FILE [--id ID] | template get ID | template delete ID

with ``--output table|json``, ``--kubeconfig``, ``--namespace``, ``--user`` and
``--config`` on every verb.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

VERBS = ("templates", "services", "launch", "logs", "stop", "template", "info", "images")
OUTPUTS = ("table", "json")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class UsageError(ValueError):
    """The command line is wrong (exit code 2 in the CLI, ``UsageError`` in IPython)."""


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` -> ``{"A": "1", "B": "x=y"}``; refuses bad names and repeats."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not _VAR.match(name):
            raise UsageError(f"expected VARIABLE=value, not {item!r}")
        if name in values:
            raise UsageError(f"variable {name} is given twice")
        values[name] = value
    return values


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return value


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    opts = common.add_argument_group("common options")
    opts.add_argument(
        "-o",
        "--output",
        choices=OUTPUTS,
        default="table",
        help="human-readable table (default) or JSON",
    )
    opts.add_argument(
        "--kubeconfig",
        help="kubeconfig to use (default: $KUBECONFIG, else the pod's service account in "
        "a cluster, else ~/.kube/config)",
    )
    opts.add_argument(
        "--user", help="act for this user (default $KARVDASH_USER, $JUPYTERHUB_USER, you)"
    )
    opts.add_argument(
        "--namespace", help="act in this namespace (default $KARVDASH_NAMESPACE, the user's)"
    )
    opts.add_argument(
        "--config", help="Karvdash config file (.py or .json; default $KARVDASH_CONFIG_FILE)"
    )
    return common


def add_verb_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add every verb to ``sub`` (the sub-parsers of ``karvdash`` or of the magic)."""
    common = _common()

    def verb(name: str, text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(
            name, parents=[common], help=text, description=text
        )
        p.set_defaults(verb=name)
        return p

    verb("templates", "list the service templates you can launch")
    verb("services", "list your services with their status and address")
    verb("info", "show your user, namespace, storage domains and service addresses")
    images = verb(
        "images",
        "list the registry's repositories, or one repository's images "
        "(needs $JUPYTERHUB_API_TOKEN)",
    )
    images.add_argument("repository", nargs="?", help="show this repository's tags")

    launch = verb("launch", "start a service from a template")
    launch.add_argument("template", help="template id (see `templates`)")
    launch.add_argument(
        "values", nargs="*", metavar="VAR=value", help="values of the template's variables"
    )
    launch.add_argument("--name", help="the service's name (default: the template's NAME)")

    logs = verb("logs", "show the logs of a service's containers")
    logs.add_argument("service", help="service name")
    logs.add_argument("--tail", type=_positive, default=None, help="only the last N lines")

    stop = verb("stop", "remove a service and all its objects")
    stop.add_argument("service", help="service name")

    template = sub.add_parser(
        "template", help="add, show or delete your own templates", description="your templates"
    )
    actions = template.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="add a template from a YAML file")
    add.add_argument("file", help="the template file (- for standard input)")
    add.add_argument(
        "--id", dest="template_id", help="store it under this id (default: from its name)"
    )
    get = actions.add_parser("get", parents=[common], help="show a template's YAML")
    get.add_argument("id", help="template id")
    delete = actions.add_parser("delete", parents=[common], help="delete one of your templates")
    delete.add_argument("id", help="template id")
    for action in (add, get, delete):
        action.set_defaults(verb="template")
