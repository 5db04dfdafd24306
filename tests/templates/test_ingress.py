"""The Ingress annotations, and the credential filter run by a real nginx.

The annotations keep Karvdash's credentials from the service through the hub service's
answer (``auth-response-headers``; tested end to end in tests/ingress/). The credential
filter is the same rule as nginx directives: the test puts it into a ``location`` block,
as ``configuration-snippet`` would, with Debian's nginx in front of a small echo server,
and checks what reaches the service.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from karvdash.devcluster.processes import free_port
from karvdash.settings import load_settings
from karvdash.templates import credential_filter, ingress_annotations

COOKIE = "karvdash-ingress"


def test_annotations_are_a_function_of_settings_and_host() -> None:
    settings = load_settings(
        env={},
        overrides={
            "ingress_auth_url": "http://hub:8081/services/karvdash/ingress/auth",
            "ingress_signin_url": "https://hub.example.org/services/karvdash/ingress/signin",
            "ingress_cookie_name": "kd",
        },
    )
    annotations = ingress_annotations(settings, "web-alice.example.org")
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "auth-url"] == (
        "http://hub:8081/services/karvdash/ingress/auth?host=web-alice.example.org"
    )
    assert annotations[prefix + "auth-signin"] == (
        "https://hub.example.org/services/karvdash/ingress/signin"
        "?rd=https://web-alice.example.org$escaped_request_uri"
    )
    assert annotations[prefix + "ssl-redirect"] == "true"
    assert annotations[prefix + "force-ssl-redirect"] == "true"
    assert annotations[prefix + "auth-response-headers"] == "Cookie,Authorization"
    assert not [key for key in annotations if key.endswith("-snippet")]  # snippets stay off
    assert ingress_annotations(settings, "web-alice.example.org") == annotations


def test_sign_in_url_with_a_query_gets_rd_appended() -> None:
    settings = load_settings(env={}, overrides={"ingress_signin_url": "https://h/signin?x=1"})
    signin = ingress_annotations(settings, "a-b.c")["nginx.ingress.kubernetes.io/auth-signin"]
    assert signin == "https://h/signin?x=1&rd=https://a-b.c$escaped_request_uri"


def test_cookie_name_must_be_a_plain_token() -> None:
    with pytest.raises(ValueError, match="cookie name"):
        credential_filter('x"; }')


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """nginx on 127.0.0.1:<port> with the credential filter, in front of an echo server."""
    echo = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=echo.serve_forever, daemon=True)
    thread.start()
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port("127.0.0.1")
    temps = "\n".join(
        f"  {kind}_temp_path {tmp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    snippet = credential_filter(COOKIE).replace("\n", "\n      ")
    (tmp / "nginx.conf").write_text(
        f"""
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
  access_log off;
{temps}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
      {snippet}
      proxy_pass http://127.0.0.1:{echo.server_address[1]};
    }}
  }}
}}
"""
    )
    process = subprocess.Popen(
        ["/usr/sbin/nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(port, process, tmp / "error.log")
        yield port
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
        echo.shutdown()
        echo.server_close()


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


def _forwarded(port: int, headers: dict[str, str]) -> dict[str, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/path?q=1", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - http URL
        result: dict[str, str] = json.loads(answer.read())
    return result


def _cookies(header: str | None) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header or "")
    return {name: morsel.value for name, morsel in jar.items()}


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (f"{COOKIE}=secret", {}),
        (f"a=1; {COOKIE}=secret; b=2", {"a": "1", "b": "2"}),
        (f"{COOKIE}=secret; b=2", {"b": "2"}),
        (f"a=1; {COOKIE}=secret", {"a": "1"}),
        (f"a=1;{COOKIE}=secret;b=2", {"a": "1", "b": "2"}),
        (f"{COOKIE}=one; c=3; {COOKIE}=two", {"c": "3"}),
        (f"x{COOKIE}=1; {COOKIE}x=2", {f"x{COOKIE}": "1", f"{COOKIE}x": "2"}),
        ("session=abc", {"session": "abc"}),
    ],
)
def test_the_karvdash_cookie_never_reaches_the_service(
    nginx: int, sent: str, kept: dict[str, str]
) -> None:
    forwarded = _forwarded(nginx, {"Cookie": sent})
    assert _cookies(forwarded.get("cookie")) == kept
    assert "secret" not in forwarded.get("cookie", "")


@pytest.mark.parametrize(
    ("sent", "passes"),
    [
        ("token 0123456789abcdef", False),
        ("Token 0123456789abcdef", False),
        ("  token abc", False),
        ("Bearer eyJhbGciOi", True),
        ("Basic dXNlcjpwYXNz", True),
        ("AWS4-HMAC-SHA256 Credential=x", True),
    ],
)
def test_hub_tokens_are_dropped_and_other_schemes_pass(nginx: int, sent: str, passes: bool) -> None:
    forwarded = _forwarded(nginx, {"Authorization": sent})
    assert forwarded.get("authorization") == (sent if passes else None)


def test_requests_without_credentials_pass_unchanged(nginx: int) -> None:
    forwarded = _forwarded(nginx, {"X-Custom": "1"})
    assert forwarded["x-custom"] == "1"
    assert "cookie" not in forwarded
    assert "authorization" not in forwarded
