"""The ``karvdash`` command line.

``karvdash templates|services|launch|logs|stop|template|info|images`` act on the user's
Karvdash (see docs/magics-and-cli.md and :mod:`karvdash.commands`).

``karvdash dev`` brings up the development stack (the dev cluster, then the webhook; the
registry and the hub as they are added) and runs until Ctrl-C, then stops every process
it started. ``karvdash dev --kubeconfig PATH`` uses that cluster instead (nothing of the
local control plane or kubelet is started); an ambient ``$KUBECONFIG`` is never used.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from ._version import __version__
from .commands.parser import VERBS, add_verb_parsers
from .commands.terminal import cmd_verb

if TYPE_CHECKING:
    from .devcluster.cluster import Cluster
    from .devstack import DevStack


def _say(message: str) -> None:
    print(f"[karvdash dev] {message}", file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_dev(args: argparse.Namespace) -> int:
    # Imported here: the other commands need nothing of the dev cluster.
    from .devcluster.build import BuildError
    from .devcluster.cluster import DevCluster, ExternalCluster
    from .devcluster.controlplane import ControlPlaneError
    from .devstack import DevStack, StackError

    # Explicit, so Ctrl-C, SIGTERM and SIGHUP stop the stack (and abort a first build)
    # even when it was started with SIGINT ignored, as a background job is.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    stack: DevStack | None = None
    try:
        cluster: Cluster
        if args.kubeconfig:
            cluster = ExternalCluster(Path(args.kubeconfig).expanduser())
        else:
            state = Path(args.state_dir).expanduser() if args.state_dir else None
            cluster = DevCluster(state, progress=_say)
        stack = DevStack(cluster, webhook=not args.no_webhook, progress=_say)
        stack.start()
        for line in stack.summary():
            print(line, flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            failed = stack.failed()
            if failed:
                _say(f"{failed} exited; stopping (see {stack.log_dir} for its log)")
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (BuildError, ControlPlaneError, StackError, OSError) as exc:
        _say(f"error: {exc}")
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if stack is not None:
            _say("stopping ...")
            stack.stop()
            _say("stopped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .devcluster.cluster import default_state_dir

    parser = argparse.ArgumentParser(prog="karvdash", description="Karvdash command line")
    parser.add_argument("--version", action="version", version=f"karvdash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser(
        "dev",
        help="run Karvdash on the embedded development cluster",
        description=(
            "Bring up the development stack: a real Kubernetes control plane on loopback "
            "(built once from Debian's source; about 10 minutes the first time), the local "
            "kubelet and the admission webhook. Runs until Ctrl-C."
        ),
    )
    dev.add_argument(
        "--kubeconfig",
        help="use this cluster (kind, k3d, minikube, a real one) instead of the local one",
    )
    dev.add_argument(
        "--state-dir",
        help=f"where the dev cluster keeps its state (default {default_state_dir()})",
    )
    dev.add_argument("--no-webhook", action="store_true", help="do not start the webhook")
    dev.set_defaults(func=cmd_dev)
    add_verb_parsers(sub)
    for name, verb in sub.choices.items():
        if name != "dev":
            verb.set_defaults(func=cmd_verb)
    return parser


def build_verbs_parser() -> argparse.ArgumentParser:
    """The parser of the user's verbs alone (no ``dev``: it imports nothing of the dev
    cluster, so ``karvdash services`` starts quickly in a notebook's terminal)."""
    parser = argparse.ArgumentParser(prog="karvdash", description="Karvdash command line")
    add_verb_parsers(parser.add_subparsers(dest="command", required=True))
    parser.set_defaults(func=cmd_verb)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    verb = bool(words) and words[0] in VERBS
    args = (build_verbs_parser() if verb else build_parser()).parse_args(words)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
