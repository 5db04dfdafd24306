"""The command line: options, usage errors, and a real run stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from karvdash_webhook.__main__ import main, parser, registration_url

from .helpers import UID, decode_patch, pod, review


def test_registration_url_gets_the_listening_port_when_it_has_none() -> None:
    assert registration_url("https://127.0.0.1", 9443) == "https://127.0.0.1:9443"
    assert registration_url("https://127.0.0.1:8443", 9443) == "https://127.0.0.1:8443"


def test_options_default_to_the_settings() -> None:
    options = parser().parse_args([])
    assert (options.port, options.address, options.cert_file) == (None, None, None)
    assert options.service_name == "karvdash-webhook"
    assert options.service_namespace == "karvdash"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--namespace", "karvdash-alice"], "--namespace wants NS=SLUG"),
        ([], "no certificate"),
        (["--cert-file", "c.pem", "--key-file", "k.pem", "--register"], "--register needs the CA"),
    ],
)
def test_usage_errors_exit_2_with_a_message(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("KARVDASH_"):
            monkeypatch.delenv(name)
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_webhook_runs_with_a_self_signed_certificate_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARVDASH_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "karvdash_webhook",
            "--self-signed",
            str(tmp_path / "tls"),
            "--san",
            "127.0.0.1",
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "--namespace",
            "karvdash-alice=alice",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line, "the webhook exited before listening"
            found = re.search(r"listening on (https://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url is not None
        with requests.Session() as http:
            http.trust_env = False
            http.verify = str(tmp_path / "tls" / "ca.crt")
            assert http.get(url + "/healthz").text == "ok\n"
            answer = http.post(url + "/mutate", data=json.dumps(review(pod()))).json()
        assert answer["response"]["uid"] == UID
        assert len(decode_patch(answer)) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
