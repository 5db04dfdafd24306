"""``GET info``: who the server acts for and where services are published."""

from __future__ import annotations

from .servers import Server


def test_info_names_user_namespace_domains_and_service_addresses(plain_server: Server) -> None:
    answer = plain_server.call("GET", "info")
    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert info["user"] == "alice"
    assert info["namespace"] == "karvdash-alice"
    assert [d["name"] for d in info["domains"]] == ["local", "remote", "shared"]
    assert info["domains"][0] == {
        "name": "local",
        "mount_path": "/local",
        "per_user": True,
        "read_only": False,
    }
    assert info["service_url"] == "https://{name}-alice.karvdash.localtest.me/"
