"""The local kubelet as a program: its flags (named as a kubelet's), its life and its end.

Run: ``python -m karvdash.devcluster.kubeletmain --kubeconfig K --state-dir D
[--tls-cert-file F --tls-private-key-file F --client-ca-file F]``. Without the three TLS
flags it serves no kubelet API (``kubectl logs`` then fails, as with an unreachable node).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from .kubelet import LocalKubelet
from .kubeletserver import KubeletTLS
from .logwriter import LogLimits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Karvdash dev cluster local kubelet")
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--node-name", default="karvdash-dev")
    parser.add_argument("--pod-cidr", default="127.0.16.0/20")
    parser.add_argument("--host-ip", default="127.0.0.1")
    parser.add_argument("--tls-cert-file", type=Path, help="serving certificate of the API")
    parser.add_argument("--tls-private-key-file", type=Path, help="its key")
    parser.add_argument("--client-ca-file", type=Path, help="CA of the API server's certificate")
    parser.add_argument("--port", type=int, default=0, help="port of the API (0: a free one)")
    parser.add_argument(
        "--container-log-max-size", type=int, default=LogLimits.max_bytes, help="bytes"
    )
    parser.add_argument("--container-log-max-files", type=int, default=LogLimits.max_files)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    tls = None
    if args.tls_cert_file and args.tls_private_key_file and args.client_ca_file:
        tls = KubeletTLS(args.tls_cert_file, args.tls_private_key_file, args.client_ca_file)
    elif args.tls_cert_file or args.tls_private_key_file or args.client_ca_file:
        parser.error("--tls-cert-file, --tls-private-key-file and --client-ca-file go together")
    if args.container_log_max_size < 1 or args.container_log_max_files < 1:
        parser.error("--container-log-max-size and --container-log-max-files must be positive")
    kubelet = LocalKubelet(
        args.kubeconfig,
        args.state_dir,
        args.node_name,
        args.pod_cidr,
        args.host_ip,
        tls=tls,
        port=args.port,
        log_limits=LogLimits(args.container_log_max_size, args.container_log_max_files),
    )

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        main_task = asyncio.ensure_future(kubelet.run())
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, main_task.cancel)
        try:
            await main_task
        except asyncio.CancelledError:
            pass
        finally:
            kubelet.stop_all()
            if kubelet.runner is not None:
                with contextlib.suppress(Exception):
                    await kubelet.runner.cleanup()
            with contextlib.suppress(Exception):
                await kubelet.api.close()

    asyncio.run(runner())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
