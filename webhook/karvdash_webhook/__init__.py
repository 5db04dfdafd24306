"""Karvdash admission webhook.

A Tornado HTTPS server the Kubernetes API server calls for every Pod (and workload pod
template) in a user namespace:

* ``/mutate`` adds the user's storage domains (hostPath volumes and mounts) to new Pods;
* ``/validate`` refuses hostPaths outside the user's domains and the escapes the
  Kubernetes "baseline" Pod Security Standard forbids;
* ``/healthz``, ``/readyz`` and ``/metrics`` for the kubelet and Prometheus.

The logic is pure (``review``, ``mutate``, ``validate``, ``registration``); ``app`` and
``server`` wrap it in Tornado; ``namespaces`` tells which user a namespace belongs to.
The webhook imports only the Karvdash core, never JupyterHub or Jupyter server.
"""

from .errors import Denied, MalformedReview
from .review import build_response, parse_review

__all__ = ["Denied", "MalformedReview", "build_response", "parse_review"]
