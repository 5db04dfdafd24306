"""Where the dev stack's hub listens: JupyterHub's own port 8000 when it is free, kept
across restarts (the state folder remembers it), any free port otherwise."""

from __future__ import annotations

import socket
from pathlib import Path

from karvdash.devhub import JUPYTERHUB_PORT, DevHub

ADDRESS = "127.0.0.37"  # a loopback address of this test's own: its port 8000 is free


def test_a_new_hub_takes_port_8000_and_keeps_it(tmp_path: Path) -> None:
    hub = DevHub(state_dir=tmp_path, admin_kubeconfig=tmp_path / "k", address=ADDRESS)
    ports = hub._ports()
    assert ports["public"] == JUPYTERHUB_PORT
    assert len(set(ports.values())) == 4
    assert (
        DevHub(state_dir=tmp_path, admin_kubeconfig=tmp_path / "k", address=ADDRESS)._ports()
        == ports
    )


def test_a_taken_port_8000_means_another_one(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((ADDRESS, JUPYTERHUB_PORT))
        taken.listen()
        ports = DevHub(
            state_dir=tmp_path, admin_kubeconfig=tmp_path / "k", address=ADDRESS
        )._ports()
    assert ports["public"] != JUPYTERHUB_PORT
