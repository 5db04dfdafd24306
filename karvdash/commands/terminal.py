"""``karvdash <verb>`` in a terminal: run the verb, print the table (or JSON) on stdout,
and any error as one line on stderr with exit code 1 (2 for a wrong command line)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from ..errors import KarvdashError
from .identity import IdentityError
from .output import render
from .parser import UsageError
from .run import SetupError, execute


def _fail(message: str, code: int) -> int:
    first = " ".join(message.split())
    print(f"karvdash: error: {first}", file=sys.stderr, flush=True)
    return code


def cmd_verb(args: argparse.Namespace) -> int:
    """Run one verb; the exit code."""
    logging.basicConfig(level=logging.WARNING, format="karvdash: %(levelname)s: %(message)s")
    try:
        result = asyncio.run(execute(args))
    except UsageError as exc:
        return _fail(str(exc), 2)
    except KarvdashError as exc:
        return _fail(exc.message, 1)
    except (IdentityError, SetupError) as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    print(render(result, "json" if args.output == "json" else "text"), flush=True)
    return 0
