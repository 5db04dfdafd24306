"""Settings: documented traits, validated, read from a config file and KARVDASH_* variables."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from traitlets import TraitError
from traitlets.config import Config

from karvdash.settings import Karvdash, StorageDomain, load_settings


def test_every_setting_is_documented() -> None:
    traits = Karvdash.class_traits(config=True)
    assert {
        "namespace_prefix",
        "ingress_domain",
        "storage_domains",
        "registry_url",
        "ingress_class",
        "tls_secret_name",
        "template_dirs",
    } <= set(traits)
    for name, trait in traits.items():
        assert trait.help, f"{name} lacks help"
        assert len(trait.help) > 20, f"{name} has too short a help"


def test_defaults_give_three_storage_domains() -> None:
    s = load_settings(env={})
    assert [d.name for d in s.domains] == ["local", "remote", "shared"]
    local = s.domains[0]
    assert local.host_path_for("alice") == "/mnt/local/alice"
    assert s.domains[2].host_path_for("alice") == "/mnt/shared"


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "karvdash_config.py"
    cfg.write_text(
        "c.Karvdash.ingress_domain = 'file.example'\nc.Karvdash.registry_url = 'http://r:5000'\n"
    )
    s = load_settings(config_file=cfg, env={"KARVDASH_INGRESS_DOMAIN": "env.example"})
    assert s.ingress_domain == "env.example"
    assert s.registry_url == "http://r:5000"


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "k.json"
    cfg.write_text(json.dumps({"Karvdash": {"namespace_prefix": "kd-"}}))
    s = load_settings(env={"KARVDASH_CONFIG_FILE": str(cfg)})
    assert s.namespace_prefix == "kd-"


def test_host_application_config_is_read() -> None:
    c = Config()
    c.Karvdash.tls_secret_name = "wild"
    assert load_settings(config=c, env={}).tls_secret_name == "wild"


def test_command_line_overrides_environment() -> None:
    s = load_settings(
        env={"KARVDASH_INGRESS_CLASS": "traefik"}, overrides={"ingress_class": "nginx"}
    )
    assert s.ingress_class == "nginx"


def test_lists_from_environment() -> None:
    domains = [{"name": "data", "mount_path": "/data", "host_path": "/srv/data", "per_user": False}]
    s = load_settings(
        env={
            "KARVDASH_STORAGE_DOMAINS": json.dumps(domains),
            "KARVDASH_TEMPLATE_DIRS": "/a:/b",
            "KARVDASH_ALLOW_PRIVILEGED": "yes",
        }
    )
    assert s.domains == [StorageDomain("data", "/data", "/srv/data", per_user=False)]
    assert s.template_dirs == ["/a", "/b"]
    assert s.allow_privileged is True


def one_domain(**fields: object) -> dict[str, str]:
    domain = {"name": "x", "mount_path": "/x", "host_path": "/h", **fields}
    return {"KARVDASH_STORAGE_DOMAINS": json.dumps([domain])}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KARVDASH_STORAGE_DOMAINS": "[not json"}, "not valid JSON"),
        (one_domain(mount_path="rel"), "absolute"),
        (one_domain(host_path="/h/../etc"), "'..'"),
        (one_domain(mount_path="/"), "'/'"),
        (one_domain(name="Bad Name"), "DNS label"),
        (one_domain(extra=1), "unknown"),
        (one_domain(per_user="yes"), "booleans"),
        ({"KARVDASH_NAMESPACE_PREFIX": "Bad_"}, "namespace_prefix"),
        ({"KARVDASH_ALLOWED_HOST_PATHS": "relative/dir"}, "must be an absolute path"),
        ({"KARVDASH_ALLOW_PRIVILEGED": "maybe"}, "true or false"),
    ],
)
def test_bad_settings_are_refused_clearly(env: dict[str, str], message: str) -> None:
    with pytest.raises(TraitError, match=message):
        load_settings(env=env)


def test_duplicate_mount_paths_are_refused() -> None:
    domains = [
        {"name": "a", "mount_path": "/data", "host_path": "/a"},
        {"name": "b", "mount_path": "/data", "host_path": "/b"},
    ]
    with pytest.raises(TraitError, match="duplicate mount_path"):
        Karvdash(storage_domains=domains)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_settings(config_file=tmp_path / "nope.py", env={})


def test_every_setting_is_in_the_operator_docs() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    for name in Karvdash.class_traits(config=True):
        assert f"`{name}`" in docs, f"docs/configuration.md lacks {name}"
        assert f"`KARVDASH_{name.upper()}`" in docs


def test_lists_of_names_from_the_environment_split_at_commas_not_colons() -> None:
    from karvdash.settings import load_settings

    managers = "system:serviceaccount:karvdash:karvdash-hub, system:serviceaccount:x:y"
    settings = load_settings(env={"KARVDASH_NAMESPACE_MANAGERS": managers})
    assert settings.namespace_managers == [
        "system:serviceaccount:karvdash:karvdash-hub",
        "system:serviceaccount:x:y",
    ]
    folders = load_settings(env={"KARVDASH_TEMPLATE_DIRS": "/a:/b"})
    assert folders.template_dirs == ["/a", "/b"]


@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ("ingress_auth_url", "/services/karvdash/ingress/auth"),
        ("registry_gateway_url", "/services/karvdash/"),
    ],
)
def test_in_cluster_urls_name_the_shipped_proxy_service_in_full(setting: str, path: str) -> None:
    """The ingress controller and users' servers call them from their own namespaces: a
    short name would not resolve there."""
    manifests = Path(__file__).parents[2] / "deploy" / "hub" / "service.yaml"
    services = {d["metadata"]["name"]: d for d in yaml.safe_load_all(manifests.read_text())}
    proxy = services["karvdash-proxy"]
    (port,) = proxy["spec"]["ports"]
    url = urlsplit(getattr(load_settings(env={}), setting))
    namespace = proxy["metadata"]["namespace"]
    assert url.hostname == f"karvdash-proxy.{namespace}.svc.cluster.local"
    assert (url.scheme, url.port or 80) == ("http", port["port"])
    assert url.path == path
