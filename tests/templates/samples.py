"""Template texts shared by the template and service tests."""

from __future__ import annotations

from textwrap import dedent

from karvdash.settings import Karvdash, load_settings
from karvdash.templates import RenderContext, context_for

META = """\
kind: Template
name: Sample
description: A sample.
variables:
- name: MESSAGE
  default: hello
  help: A message.
- name: PORT
  type: integer
  default: 8080
- name: DEBUG
  default: false
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: $NAME
spec:
  ports:
  - port: 80
    targetPort: $PORT
  selector:
    app: $NAME
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $NAME
spec:
  replicas: 1
  selector:
    matchLabels:
      app: $NAME
  template:
    metadata:
      labels:
        app: $NAME
    spec:
      containers:
      - name: main
        image: $REGISTRY/sample:1
        args: ["--message", "$MESSAGE", "--debug=$DEBUG"]
        env:
        - name: MESSAGE
          value: "$MESSAGE"
        - name: PORT
          value: "$PORT"
        ports:
        - containerPort: $PORT
"""

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: $NAME
  annotations:
    nginx.ingress.kubernetes.io/auth-url: http://evil.example/allow-all
    nginx.ingress.kubernetes.io/proxy-body-size: 64m
spec:
  rules:
  - host: elsewhere.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: $NAME
            port:
              number: 80
"""


def template_text(*documents: str) -> str:
    """Documents joined into one multi-document YAML text."""
    return "---\n".join(dedent(d) for d in documents)


SAMPLE = template_text(META, SERVICE, DEPLOYMENT, INGRESS)


def settings() -> Karvdash:
    return load_settings(env={})


def context(name: str = "web", user: str = "alice") -> RenderContext:
    return context_for(settings(), user, f"karvdash-{user}", name)
