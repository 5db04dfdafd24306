"""The Tornado application: thin handlers around :class:`~.admission.Webhook`.

Routes (all public on purpose: the API server calls them without credentials, they
have no side effects and reveal nothing but counters):

* ``POST /mutate``, ``POST /validate``: AdmissionReview ``admission.k8s.io/v1``;
* ``GET /healthz`` (the process answers), ``GET /readyz`` (the namespace directory has
  synced), ``GET /metrics`` (Prometheus).

Every error is ``{"message": "..."}`` with the HTTP status: 400 for a malformed review,
413 for a body above :data:`MAX_BODY_BYTES`, 404/405 for wrong routes and methods, 500
(logged, no stack trace sent) for a fault of the webhook itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tornado import web
from tornado.http1connection import HTTP1Connection

from .admission import Webhook
from .errors import MalformedReview
from .metrics import Metrics
from .review import AdmissionRequest, AdmissionReview, parse_review

log = logging.getLogger(__name__)
access_log = logging.getLogger("karvdash_webhook.access")

MAX_BODY_BYTES = 3 * 1024 * 1024
"""Largest review accepted (etcd stores at most 1.5 MiB per object; a review holds two)."""

DRAIN_LIMIT = 32 * 1024 * 1024
"""Bodies up to this size are read and answered 413; larger ones get 413 and a close."""

JSON = "application/json"


def error_body(message: str) -> bytes:
    """The one error shape of this API."""
    return json.dumps({"message": message}).encode()


class BaseHandler(web.RequestHandler):
    """JSON errors instead of Tornado's HTML pages."""

    def send_json_error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", JSON)
        self.finish(error_body(message))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", JSON)
        self.finish(error_body(self._reason))


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        self.send_json_error(
            404,
            f"no such endpoint {self.request.path}; try /mutate, /validate, /healthz, "
            "/readyz or /metrics",
        )


@web.stream_request_body
class ReviewHandler(BaseHandler):
    """POST an AdmissionReview, get one back."""

    endpoint = ""

    def initialize(self, webhook: Webhook, metrics: Metrics) -> None:
        self.webhook = webhook
        self.metrics = metrics
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        raise NotImplementedError

    def prepare(self) -> None:
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            self._too_large = True
            connection = self.request.connection
            if isinstance(connection, HTTP1Connection):
                # Read (and drop) the body rather than letting Tornado cut the connection,
                # so the client sees the 413; absurd sizes are answered at once and closed.
                connection.set_max_body_size(int(declared))
            if int(declared) > DRAIN_LIMIT:
                self._reply_too_large(time.perf_counter())

    def data_received(self, chunk: bytes) -> None:
        if self._too_large:
            return
        self._size += len(chunk)
        if self._size > MAX_BODY_BYTES:
            self._too_large = True
            self._chunks.clear()
        else:
            self._chunks.append(chunk)

    def _reply_too_large(self, start: float) -> None:
        self.send_json_error(413, f"the review is larger than {MAX_BODY_BYTES} bytes")
        self.metrics.observe(self.endpoint, "malformed", time.perf_counter() - start)

    async def post(self) -> None:
        start = time.perf_counter()
        if self._too_large:
            if not self._finished:
                self._reply_too_large(start)
            return
        chunks = self._chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            review, result = await self.review(parse_review(body))
            payload = json.dumps(review, separators=(",", ":")).encode()
        except MalformedReview as exc:
            self.set_status(400)
            payload, result = error_body(exc.message), "malformed"
        except Exception:
            log.exception("%s failed on a review", self.endpoint)
            self.set_status(500)
            payload, result = error_body("internal error of the Karvdash webhook"), "error"
        self.set_header("Content-Type", JSON)
        self.finish(payload)
        self.metrics.observe(self.endpoint, result, time.perf_counter() - start)


class MutateHandler(ReviewHandler):
    endpoint = "mutate"

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        return self.webhook.mutate(request)


class ValidateHandler(ReviewHandler):
    endpoint = "validate"

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        return self.webhook.validate(request)


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.finish("ok\n")


class ReadyHandler(BaseHandler):
    def initialize(self, ready: Callable[[], bool]) -> None:
        self.ready = ready

    def get(self) -> None:
        if self.ready():
            self.finish("ok\n")
        else:
            self.send_json_error(503, "the namespace directory has not synced yet")


class MetricsHandler(BaseHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        body, content_type = self.metrics.render()
        self.set_header("Content-Type", content_type)
        self.finish(body)


def log_request(handler: web.RequestHandler) -> None:
    """Access log: errors at WARNING, the rest at DEBUG (the hot path stays quiet)."""
    status = handler.get_status()
    if status < 400 and not access_log.isEnabledFor(logging.DEBUG):
        return
    level = logging.DEBUG if status < 400 else logging.WARNING
    request = handler.request
    access_log.log(
        level,
        "%s %s %s %.2f ms",
        status,
        request.method,
        request.uri,
        1000.0 * request.request_time(),
    )


def make_app(webhook: Webhook, metrics: Metrics) -> web.Application:
    """The routes of the webhook."""
    reviews = {"webhook": webhook, "metrics": metrics}
    return web.Application(
        [
            (r"/mutate", MutateHandler, reviews),
            (r"/validate", ValidateHandler, reviews),
            (r"/healthz", HealthHandler),
            (r"/readyz", ReadyHandler, {"ready": lambda: webhook.directory.ready}),
            (r"/metrics", MetricsHandler, {"metrics": metrics}),
        ],
        default_handler_class=NotFoundHandler,
        log_function=log_request,
        compress_response=False,
    )
