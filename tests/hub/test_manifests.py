"""deploy/hub/: the manifests agree with the code that reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from karvdash_hub.spawner import KarvdashSpawner

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "hub"


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = documents("kustomization.yaml")
    manifests = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


def test_the_hub_may_bind_exactly_the_default_user_role() -> None:
    role = next(d for d in documents("rbac.yaml") if d["kind"] == "ClusterRole")
    (bind,) = [r for r in role["rules"] if "bind" in r["verbs"]]
    assert bind["resourceNames"] == [KarvdashSpawner.user_cluster_role.default_value]
    assert bind["verbs"] == ["bind"]
    assert not any("*" in r["verbs"] or "*" in r["resources"] for r in role["rules"])


def test_the_deployment_runs_as_the_hub_account_with_variables_the_config_reads() -> None:
    deployment = next(d for d in documents("deployment.yaml") if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "karvdash-hub"
    config = (ROOT / "jupyterhub_config.py").read_text()
    for var in pod["containers"][0]["env"]:
        if var["name"].startswith("KARVDASH_HUB") or var["name"].startswith("KARVDASH_PROXY"):
            assert f'"{var["name"]}"' in config, var["name"]
