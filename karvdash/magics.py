"""IPython magics: ``%load_ext karvdash``, then

* ``%karvdash templates`` / ``services`` / ``info``
* ``%karvdash images [REPOSITORY]``: the registry's repositories, or a repository's images
  (through the hub service, with the server's ``$JUPYTERHUB_API_TOKEN``)
* ``%karvdash launch TEMPLATE [VAR=value ...] [--name NAME]``
* ``%karvdash logs SERVICE [--tail N]`` / ``%karvdash stop SERVICE``
* ``%karvdash template get ID`` / ``%karvdash template delete ID``
* ``%%karvdash template [--id ID]``: the cell's YAML becomes one of your templates.

Results are rich objects (an HTML table in a notebook, aligned text in a terminal);
``--output json`` returns the plain data instead (``services = %karvdash services -o
json``). Errors are one line (``karvdash: error: ...``) without a Python traceback.
The core is async and an IPython kernel already runs an event loop, so each command
runs on a private loop in a worker thread.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from .commands.identity import IdentityError
from .commands.output import Rich
from .commands.parser import UsageError as VerbUsageError
from .commands.parser import add_verb_parsers
from .commands.run import SetupError, execute
from .commands.runner import run_in_thread
from .errors import KarvdashError


class KarvdashMagicError(Exception):
    """A refusal or failure, shown as one line instead of a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"karvdash: error: {self}"]


class _HelpShown(Exception):
    """``--help`` was asked for and printed."""


class _MagicParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageError(message or f"{self.prog}: error")
        raise _HelpShown


def build_magic_parser() -> argparse.ArgumentParser:
    parser = _MagicParser(prog="%karvdash", description="Karvdash from a notebook")
    add_verb_parsers(parser.add_subparsers(dest="command", required=True, metavar="VERB"))
    return parser


def _cell_argv(line: str) -> list[str]:
    words = shlex.split(line)
    if not words or words[0] != "template":
        raise UsageError("%%karvdash: the cell magic is `%%karvdash template [--id ID]`")
    return ["template", "add", "-", *words[1:]]


@magics_class
class KarvdashMagics(Magics):
    """``%karvdash`` and ``%%karvdash``."""

    @line_cell_magic
    def karvdash(self, line: str, cell: str | None = None) -> Any:
        """Karvdash templates and services; ``%karvdash --help`` lists the verbs."""
        try:
            argv = _cell_argv(line) if cell is not None else shlex.split(line)
            args = build_magic_parser().parse_args(argv)
        except _HelpShown:
            return None
        except ValueError as exc:  # unbalanced quotes
            raise UsageError(f"%karvdash: {exc}") from None
        try:
            result = run_in_thread(execute(args, source=cell))
        except VerbUsageError as exc:
            raise UsageError(f"%karvdash: {exc}") from None
        except KarvdashError as exc:
            raise KarvdashMagicError(exc.message) from None
        except (IdentityError, SetupError) as exc:
            raise KarvdashMagicError(str(exc)) from None
        if args.output == "json":
            return result.data
        return Rich(result)
