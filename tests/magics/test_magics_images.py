"""``%karvdash images`` in a real IPython shell against the dev stack's hub service and
registry: a rich table of a repository's images, as in a notebook."""

from __future__ import annotations

import secrets

import pytest
from IPython.core.interactiveshell import InteractiveShell

from karvdash.commands.output import Rich
from karvdash.devstack import DevStack
from karvdash.magics import KarvdashMagicError

from ..helpers import push_images
from ..hub.hubclient import HubClient, api


def test_images_of_a_repository_are_a_rich_table(
    shell: InteractiveShell, cluster: DevStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    admin = HubClient(cluster.hub.url)
    admin.log_in("admin", cluster.hub.admin_password)
    token = admin.new_token("admin", note="magics images test")
    repo = f"magics-images/r{secrets.token_hex(3)}"

    push_images(cluster.env, repo, {"latest": ""})
    monkeypatch.setenv("KARVDASH_REGISTRY_GATEWAY_URL", f"{cluster.hub.url}/services/karvdash/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)

    result = shell.run_line_magic("karvdash", f"images {repo}")

    assert isinstance(result, Rich)
    html = result._repr_html_()
    assert '<table class="karvdash-table">' in html
    assert "<td>latest</td>" in html
    assert "linux/arm64" in html
    assert repo in shell.run_line_magic("karvdash", "images -o json")["repositories"]
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "wrong")
    with pytest.raises(KarvdashMagicError, match="refused the token"):
        shell.run_line_magic("karvdash", "images")
    assert api(cluster.hub.url, token, "GET", "/user").status_code == 200
