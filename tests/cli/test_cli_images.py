"""``karvdash images`` against the dev stack's real hub service and registry: the
repositories, one repository's images, and clear one-line refusals."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

from karvdash.devstack import DevStack

from ..helpers import push_images
from ..hub.hubclient import HubClient, api
from .conftest import run_karvdash


@pytest.fixture(scope="module")
def images_env(cluster: DevStack) -> Iterator[tuple[dict[str, str], str]]:
    """The environment of a user's server (gateway URL, token, user) and a repository
    with two images."""
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    admin = HubClient(cluster.hub.url)
    admin.log_in("admin", cluster.hub.admin_password)
    admin_token = admin.new_token("admin", note="cli images tests")
    name = f"imgcli{secrets.token_hex(3)}"
    assert api(cluster.hub.url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    token = api(cluster.hub.url, admin_token, "POST", f"/users/{name}/tokens", json={})
    repo = f"cli-images/{name}"

    push_images(cluster.env, repo, {"v1": "first", "v2": "second"})
    env = {
        "KARVDASH_USER": name,
        "KARVDASH_REGISTRY_GATEWAY_URL": f"{cluster.hub.url}/services/karvdash/",
        "JUPYTERHUB_API_TOKEN": token.json()["token"],
    }
    yield env, repo
    api(cluster.hub.url, admin_token, "DELETE", f"/users/{name}")


def test_images_lists_repositories_and_a_repositorys_images(
    images_env: tuple[dict[str, str], str],
) -> None:
    env, repo = images_env

    listing = run_karvdash("images", "-o", "json", env=env)
    assert listing.returncode == 0, listing.stderr
    assert repo in json.loads(listing.stdout)["repositories"]

    table = run_karvdash("images", repo, env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == f"images of {repo}"
    assert lines[1].split() == ["TAG", "DIGEST", "SIZE", "PLATFORM", "CREATED"]
    assert [line.split()[0] for line in lines[2:]] == ["v1", "v2"]
    assert all("linux/arm64" in line and "sha256:" in line for line in lines[2:])

    data = json.loads(run_karvdash("images", repo, "-o", "json", env=env).stdout)
    assert [t["tag"] for t in data["tags"]] == ["v1", "v2"]
    assert data["tags"][0]["digest"] != data["tags"][1]["digest"]


def test_images_refusals_are_one_clear_line(images_env: tuple[dict[str, str], str]) -> None:
    env, _ = images_env

    unknown = run_karvdash("images", "no/such-repository", env=env)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("karvdash: error: ")
    assert "no/such-repository" in unknown.stderr
    assert unknown.stderr.count("\n") == 1

    no_token = run_karvdash("images", env={k: v for k, v in env.items() if "TOKEN" not in k})
    assert no_token.returncode == 1
    assert "JUPYTERHUB_API_TOKEN" in no_token.stderr

    bad_token = run_karvdash("images", env={**env, "JUPYTERHUB_API_TOKEN": "not-a-token"})
    assert bad_token.returncode == 1
    assert bad_token.stderr.startswith("karvdash: error: ")
    assert bad_token.stderr.count("\n") == 1
    assert "refused the token in $JUPYTERHUB_API_TOKEN" in bad_token.stderr
