"""An authorizer for the tests: allows everything but the ``karvdash`` resource, so a
request that reaches a Karvdash verb without ``@authorized`` shows up as a 200."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.authorizer import Authorizer


class DenyKarvdash(Authorizer):  # type: ignore[misc]
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "karvdash"
