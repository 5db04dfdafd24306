"""The edge of the tests: Debian's nginx configured as ingress-nginx renders an Ingress.

:func:`server_block` turns a host and the annotations of a real Ingress (as the template
engine made it and the API server stored it) into what ingress-nginx's ``nginx.tmpl``
renders for one ``Prefix /`` path with ``auth-url``, ``auth-signin``,
``auth-response-headers``, ``force-ssl-redirect`` (and a ``configuration-snippet``, if
one were there):

* ``location = /_external-auth-...``: ``internal``, the request body off,
  ``X-Original-URL $scheme://$http_host$request_uri``, ``X-Original-Method``,
  ``X-Sent-From``, ``X-Auth-Request-Redirect``, the request's headers passed,
  ``set $target <auth-url>; proxy_pass $target;``;
* ``location @<sha1>`` (``buildAuthSignURLLocation``): ``add_header Set-Cookie
  $auth_cookie; return 302 <auth-signin>;`` (the ``rd`` the annotation holds is kept);
* the path's location: the redirect to HTTPS (308), ``auth_request``,
  ``auth_request_set $auth_cookie $upstream_http_set_cookie``, ``add_header Set-Cookie
  $auth_cookie``, for each ``auth-response-headers`` name ``auth_request_set
  $authHeaderN $upstream_http_<name>`` and ``proxy_set_header <Name> $authHeaderN``
  (``buildAuthResponseHeaders``), ``set_escape_uri $escaped_request_uri $request_uri``
  (the set-misc module that ingress-nginx's OpenResty carries; Debian's
  ``libnginx-mod-http-set-misc``),
  ``error_page 401 = @<sha1>``, the proxy headers, the snippet, ``proxy_pass``.

:class:`Backend` is a service: an HTTP server on loopback that answers with its name and
records every request it receives (path and headers).
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

NGINX = "/usr/sbin/nginx"
MODULES = "/usr/lib/nginx/modules"
PREFIX = "nginx.ingress.kubernetes.io/"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Backend:
    """A service's pods: answers ``<name>: <path>`` and keeps what it was sent."""

    name: str
    seen: list[Seen] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                backend.seen.append(Seen(self.command, self.path, headers))
                body = f"{backend.name}: {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def auth_location(path: str) -> str:
    """ingress-nginx's ``buildAuthLocation`` for a ``Prefix`` path."""
    encoded = base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")
    return f"/_external-auth-{encoded}-Prefix"


def signin_location(path: str, signin_url: str) -> str:
    """ingress-nginx's ``buildAuthSignURLLocation``."""
    return "@" + hashlib.sha1((path + signin_url).encode()).hexdigest()  # noqa: S324


def _listen(address: str, tls: tuple[Path, Path]) -> str:
    cert, key = tls
    return (
        f"listen {address}:80;\n    listen {address}:443 ssl;\n"
        f"    ssl_certificate {cert};\n    ssl_certificate_key {key};"
    )


def server_block(
    host: str,
    annotations: Mapping[str, str],
    backend: str,
    address: str,
    tls: tuple[Path, Path],
    path: str = "/",
) -> str:
    """The ``server`` of one Ingress host, as ingress-nginx renders its annotations."""
    auth_url = annotations[PREFIX + "auth-url"]
    signin = annotations[PREFIX + "auth-signin"]
    assert "rd=" in signin, "ingress-nginx keeps an auth-signin that already has rd"
    auth_host = urlsplit(auth_url).netloc
    auth_path = auth_location(path)
    named = signin_location(path, signin)
    snippet = annotations.get(PREFIX + "configuration-snippet", "")
    response_headers = "\n      ".join(
        f"auth_request_set    $authHeader{i} $upstream_http_{h.lower().replace('-', '_')};\n"
        f"      proxy_set_header    '{h}' $authHeader{i};"
        for i, h in enumerate(
            h.strip()
            for h in annotations.get(PREFIX + "auth-response-headers", "").split(",")
            if h.strip()
        )
    )
    redirect = annotations.get(PREFIX + "force-ssl-redirect") == "true"
    https_only = "if ($scheme = http) { return 308 https://$host$request_uri; }" if redirect else ""
    return f"""
  server {{
    server_name {host};
    {_listen(address, tls)}

    location = {auth_path} {{
      internal;
      proxy_pass_request_body     off;
      proxy_set_header            Content-Length          "";
      proxy_set_header            X-Forwarded-Proto       "";
      proxy_set_header            X-Request-ID            $request_id;
      proxy_set_header            Host                    {auth_host};
      proxy_set_header            X-Original-URL          $scheme://$http_host$request_uri;
      proxy_set_header            X-Original-Method       $request_method;
      proxy_set_header            X-Sent-From             "nginx-ingress-controller";
      proxy_set_header            X-Real-IP               $remote_addr;
      proxy_set_header            X-Forwarded-For         $remote_addr;
      proxy_set_header            X-Auth-Request-Redirect $request_uri;
      proxy_buffering             off;
      proxy_buffer_size           4k;
      proxy_buffers               4 4k;
      proxy_request_buffering     on;
      proxy_http_version          1.1;
      proxy_ssl_server_name       on;
      proxy_pass_request_headers  on;
      client_max_body_size        1m;
      set $target {auth_url};
      proxy_pass $target;
    }}

    location {named} {{
      internal;
      add_header Set-Cookie $auth_cookie;
      return 302 {signin};
    }}

    location {path} {{
      set $pass_access_scheme $scheme;
      set $best_http_host $http_host;
      {https_only}
      auth_request        {auth_path};
      auth_request_set    $auth_cookie $upstream_http_set_cookie;
      add_header          Set-Cookie $auth_cookie;
      {response_headers}
      set_escape_uri $escaped_request_uri $request_uri;
      error_page 401 = {named};

      proxy_set_header Host                   $best_http_host;
      proxy_set_header Upgrade                $http_upgrade;
      proxy_set_header Connection             $connection_upgrade;
      proxy_set_header X-Request-ID           $request_id;
      proxy_set_header X-Real-IP              $remote_addr;
      proxy_set_header X-Forwarded-For        $remote_addr;
      proxy_set_header X-Forwarded-Host       $best_http_host;
      proxy_set_header X-Forwarded-Proto      $pass_access_scheme;
      proxy_set_header X-Scheme               $pass_access_scheme;
      proxy_set_header Proxy                  "";
      proxy_http_version 1.1;

      {snippet}
      proxy_pass http://{backend};
    }}
  }}
"""


def hub_block(host: str, upstream: str, address: str, tls: tuple[Path, Path]) -> str:
    """The hub's own address (JupyterHub's proxy behind the same ingress)."""
    return f"""
  server {{
    server_name {host};
    {_listen(address, tls)}
    location / {{
      if ($scheme = http) {{ return 308 https://$host$request_uri; }}
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_http_version 1.1;
      proxy_pass http://{upstream};
    }}
  }}
"""


def nginx_conf(folder: Path, address: str, tls: tuple[Path, Path], servers: list[str]) -> str:
    """The whole configuration: ingress-nginx's default server (404) and ``servers``."""
    temps = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    listen = _listen(address, tls)
    default = listen.replace(":80;", ":80 default_server;").replace(" ssl;", " ssl default_server;")
    return f"""
load_module {MODULES}/ndk_http_module.so;
load_module {MODULES}/ngx_http_set_misc_module.so;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
  access_log {folder}/access.log;
{temps}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    {default}
    location / {{ return 404; }}
  }}
{"".join(servers)}
}}
"""


class Nginx:
    """``/usr/sbin/nginx`` with a configuration in ``folder``, as a child process."""

    def __init__(self, folder: Path, config: str) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nginx.conf").write_text(config)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, address: str) -> None:
        module = Path(MODULES) / "ngx_http_set_misc_module.so"
        assert module.exists(), (
            f"{module} is missing: apt-get install libnginx-mod-http-set-misc "
            "(set_escape_uri, which ingress-nginx's auth-signin uses)"
        )
        check = subprocess.run(
            [NGINX, "-t", "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(self.folder),
                "-c",
                str(self.folder / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stderr=subprocess.DEVNULL,
        )
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.error_log()}")
            with socket.socket() as probe:
                if probe.connect_ex((address, 443)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen:\n{self.error_log()}")

    def error_log(self) -> str:
        log = self.folder / "error.log"
        return log.read_text()[-4000:] if log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def ingress_rules(ingress: Mapping[str, Any]) -> tuple[str, str]:
    """The (host, path) of an Ingress's one rule."""
    rule = ingress["spec"]["rules"][0]
    return rule["host"], rule["http"]["paths"][0]["path"]
