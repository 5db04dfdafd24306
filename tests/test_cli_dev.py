"""`karvdash dev` as a user runs it: starts, prints where things are, keeps state, and
stops every process it started on Ctrl-C; an ambient KUBECONFIG is never used."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client, config

DEV_TIMEOUT = 120


def _start_dev(state: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "karvdash.cli", "dev", f"--state-dir={state}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    deadline = time.monotonic() + DEV_TIMEOUT
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "Press Ctrl-C" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("karvdash dev did not come up:\n" + "\n".join(lines))


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.add(int(entry.name))
    return found


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.cluster
def test_dev_runs_keeps_state_and_stops_everything(tmp_path: Path) -> None:
    state = tmp_path / "state"
    decoy = tmp_path / "somebodys-kubeconfig"
    decoy.write_text("this is not a kubeconfig and must never be read\n")
    env = {**os.environ, "KUBECONFIG": str(decoy)}

    proc, lines = _start_dev(state, env)
    try:
        output = "\n".join(lines)
        match = re.search(r"kubeconfig: (\S+)", output)
        assert match, output
        kubeconfig = Path(match.group(1))
        assert kubeconfig.parent == state
        assert "admission webhook: https://127.0.0.1:" in output
        assert re.search(r"Karvdash \(JupyterHub\): http://127\.0\.0\.1:\d+/", output), output
        assert re.search(r"first admin: user 'admin', password \S{12,} \(shown this once", output)
        children = _children(proc.pid)
        assert len(children) >= 7, (
            "etcd, apiserver, controller-manager, scheduler, kubelet, webhook, hub"
        )
        descendants = children | {g for c in children for g in _children(c)}
        api = config.new_client_from_config(str(kubeconfig))
        v1 = client.CoreV1Api(api)
        v1.create_namespace({"metadata": {"name": "keep-me"}})
        api.close()
    finally:
        code = _stop(proc)
    assert code == 0
    time.sleep(0.5)
    alive = [pid for pid in descendants if Path(f"/proc/{pid}").exists()]
    assert not alive, f"processes left behind: {alive}"

    proc, lines = _start_dev(state, env)
    try:
        output = "\n".join(lines)
        assert "first admin: user 'admin' (its password was shown at first start)" in output
        assert "password" not in output.replace("its password was", "")
        api = config.new_client_from_config(str(kubeconfig))
        names = [ns.metadata.name for ns in client.CoreV1Api(api).list_namespace().items]
        api.close()
        assert "keep-me" in names
    finally:
        assert _stop(proc) == 0


def test_dev_with_an_explicit_kubeconfig_starts_no_local_cluster(
    kubeconfig: Path, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "karvdash.cli", "dev", f"--kubeconfig={kubeconfig}", "--no-webhook"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if "Press Ctrl-C" in line:
                break
        assert f"kubeconfig: {kubeconfig}" in [line.strip() for line in lines]
        # no control plane, no kubelet: only the registry and the hub (which runs its proxy)
        programs = [_cmdline(pid) for pid in _children(proc.pid)]
        assert len(programs) == 2, programs
        assert sum("docker-registry serve" in p for p in programs) == 1, programs
        assert sum("-m jupyterhub" in p for p in programs) == 1, programs
    finally:
        assert _stop(proc) == 0


def _dev_failing(kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "karvdash.cli", "dev", f"--kubeconfig={kubeconfig}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dev_explains_a_missing_kubeconfig(tmp_path: Path) -> None:
    result = _dev_failing(tmp_path / "nope")
    assert result.returncode == 1
    assert "kubeconfig" in result.stderr
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_dev_explains_a_file_that_is_not_a_kubeconfig(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("just some notes\n")
    result = _dev_failing(bogus)
    assert result.returncode == 1
    assert f"{bogus} is not a kubeconfig: it has no clusters, users, contexts" in result.stderr
    assert "Traceback" not in result.stderr
