"""The Tornado application: thin handlers around :class:`~.admission.Webhook`.

Routes (all public on purpose: the API server calls them without credentials, they
have no side effects and reveal nothing but counters):

* ``POST /mutate``, ``POST /validate``, ``POST /validate-unlabelled``,
  ``POST /validate-namespace``: AdmissionReview ``admission.k8s.io/v1``;
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

from tornado import httputil, web
from tornado.http1connection import HTTP1Connection
from tornado.httputil import HTTPServerRequest

from .admission import Webhook
from .errors import MalformedReview
from .metrics import Metrics
from .review import AdmissionRequest, AdmissionReview, compact_json, parse_review

log = logging.getLogger(__name__)
access_log = logging.getLogger("karvdash_webhook.access")

MAX_BODY_BYTES = 3 * 1024 * 1024
"""Largest review accepted (etcd stores at most 1.5 MiB per object; a review holds two)."""

DRAIN_LIMIT = 32 * 1024 * 1024
"""Bodies up to this size are read and answered 413; larger ones get 413 and a close."""

JSON = "application/json"
TOO_LARGE = "karvdash_body_too_large"
TOO_LARGE_MESSAGE = f"the review is larger than {MAX_BODY_BYTES} bytes"


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
            f"no such endpoint {self.request.path}; try /mutate, /validate, "
            "/validate-unlabelled, /validate-namespace, /healthz, /readyz or /metrics",
        )


class ReviewHandler(BaseHandler):
    """POST an AdmissionReview, get one back.

    The body arrives whole (see :class:`BodyLimit` for the size limit); the hot path is
    one ``json.loads``, the pure logic, one ``json.dumps``.
    """

    endpoint = ""

    def initialize(self, webhook: Webhook, metrics: Metrics) -> None:
        self.webhook = webhook
        self.metrics = metrics

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        raise NotImplementedError

    async def post(self) -> None:
        start = time.perf_counter()
        if getattr(self.request, TOO_LARGE, False):
            self.send_json_error(413, TOO_LARGE_MESSAGE)
            self.metrics.observe(self.endpoint, "malformed", time.perf_counter() - start)
            return
        try:
            review, result = await self.review(parse_review(self.request.body))
            payload = compact_json(review).encode()
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


class BodyLimit(httputil.HTTPMessageDelegate):
    """Wraps the delegate of a review request to bound the body it buffers.

    Bodies above :data:`MAX_BODY_BYTES` are read and dropped, and the handler answers
    413; a body declared above :data:`DRAIN_LIMIT` is answered 413 at once and the
    connection closed. Only the public delegate interface of Tornado is used.
    """

    def __init__(
        self,
        inner: httputil.HTTPMessageDelegate,
        request: HTTPServerRequest,
        metrics: Metrics,
        endpoint: str,
    ) -> None:
        self.inner = inner
        self.request = request
        self.metrics = metrics
        self.endpoint = endpoint
        self.size = 0
        self.too_large = False
        self.answered = False

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        declared = headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            self.too_large = True
            connection = self.request.connection
            if isinstance(connection, HTTP1Connection):
                # Read (and drop) the body rather than letting Tornado cut the connection
                # with a bare 400, so the client gets to read our 413.
                connection.set_max_body_size(int(declared))
            if int(declared) > DRAIN_LIMIT:
                self._answer_now()
                return None
        return self.inner.headers_received(start_line, headers)

    def _answer_now(self) -> None:
        connection = self.request.connection
        assert connection is not None
        body = error_body(TOO_LARGE_MESSAGE)
        headers = httputil.HTTPHeaders(
            {"Content-Type": JSON, "Content-Length": str(len(body)), "Connection": "close"}
        )
        connection.write_headers(
            httputil.ResponseStartLine("HTTP/1.1", 413, "Payload Too Large"), headers, body
        )
        connection.finish()
        self.answered = True
        self.metrics.observe(self.endpoint, "malformed", 0.0)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        if self.too_large:
            return None
        self.size += len(chunk)
        if self.size > MAX_BODY_BYTES:
            self.too_large = True
            return None
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        if self.answered:
            return
        if self.too_large:
            setattr(self.request, TOO_LARGE, True)
        self.inner.finish()

    def on_connection_close(self) -> None:
        if not self.answered:
            self.inner.on_connection_close()


class MutateHandler(ReviewHandler):
    endpoint = "mutate"

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        return self.webhook.mutate(request)


class ValidateHandler(ReviewHandler):
    endpoint = "validate"

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        return self.webhook.validate(request)


class ValidateUnlabelledHandler(ReviewHandler):
    endpoint = "validate-unlabelled"

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        return self.webhook.validate(request, unlabelled=True)


class ValidateNamespaceHandler(ReviewHandler):
    endpoint = "validate-namespace"

    def review(self, request: AdmissionRequest) -> Awaitable[tuple[AdmissionReview, str]]:
        return self.webhook.validate_namespace(request)


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
            self.send_json_error(
                503, "not ready: the namespace directory has not synced or registration is pending"
            )


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


class WebhookApplication(web.Application):
    """A Tornado application that bounds the bodies of review requests."""

    def get_handler_delegate(  # type: ignore[override]
        self,
        request: HTTPServerRequest,
        target_class: type[web.RequestHandler],
        target_kwargs: dict[str, Any] | None = None,
        path_args: list[bytes] | None = None,
        path_kwargs: dict[str, bytes] | None = None,
    ) -> httputil.HTTPMessageDelegate:
        inner = super().get_handler_delegate(
            request, target_class, target_kwargs, path_args, path_kwargs
        )
        if issubclass(target_class, ReviewHandler) and target_kwargs:
            return BodyLimit(inner, request, target_kwargs["metrics"], target_class.endpoint)
        return inner


def make_app(
    webhook: Webhook, metrics: Metrics, ready: Callable[[], bool] | None = None
) -> web.Application:
    """The routes of the webhook; ``ready`` (default: the directory has synced) for /readyz."""
    reviews = {"webhook": webhook, "metrics": metrics}
    return WebhookApplication(
        [
            (r"/mutate", MutateHandler, reviews),
            (r"/validate", ValidateHandler, reviews),
            (r"/validate-unlabelled", ValidateUnlabelledHandler, reviews),
            (r"/validate-namespace", ValidateNamespaceHandler, reviews),
            (r"/healthz", HealthHandler),
            (r"/readyz", ReadyHandler, {"ready": ready or (lambda: webhook.directory.ready)}),
            (r"/metrics", MetricsHandler, {"metrics": metrics}),
        ],
        default_handler_class=NotFoundHandler,
        log_function=log_request,
        compress_response=False,
    )
