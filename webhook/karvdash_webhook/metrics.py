"""Prometheus metrics of the webhook, in a registry of its own (one per server)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)

ENDPOINTS = ("mutate", "validate", "validate-unlabelled", "validate-namespace")
RESULTS = ("allowed", "patched", "denied", "malformed", "error")
"""``patched``: allowed with a patch; ``malformed``: HTTP 400/413; ``error``: HTTP 500."""

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Reviews by endpoint and result, and the time taken to answer them."""

    def __init__(self, registry: CollectorRegistry | None = None, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process:
            ProcessCollector(registry=self.registry)
        self.reviews = Counter(
            "karvdash_webhook_reviews",
            "Admission reviews answered, by endpoint and result.",
            ("endpoint", "result"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "karvdash_webhook_review_duration_seconds",
            "Time from the end of the request body to the answer, by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Children made up front: every series exists from the start, and the hot path
        # skips the label lookup.
        self._counts = {
            (e, r): self.reviews.labels(endpoint=e, result=r) for e in ENDPOINTS for r in RESULTS
        }
        self._latencies = {e: self.latency.labels(endpoint=e) for e in ENDPOINTS}

    def observe(self, endpoint: str, result: str, seconds: float) -> None:
        """Count one review and its duration."""
        self._counts[endpoint, result].inc()
        self._latencies[endpoint].observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
