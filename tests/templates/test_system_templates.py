"""The system templates of ``service-templates/``: all parse, and render with their
defaults to objects the Kubernetes schemas accept.

kubernetes-validate carries the schemas of Kubernetes 1.25 and later only; the oldest
(1.25) is used, strict (no unknown fields). The dev cluster's API server (1.20) checks
the same objects in tests/services/test_system_services.py, so they are valid for both.
"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest

from karvdash.templates import parse_template, render
from karvdash.templates.store import SUFFIX, system_templates

from .samples import context, settings

FOLDER = Path(__file__).resolve().parents[2] / "service-templates"
SCHEMA_VERSION = "1.25.0"
REQUIRED = {
    "Hello Kubernetes",
    "JupyterLab",
    "Zeppelin",
    "PostgreSQL",
    "Redis",
    "MinIO",
    "File Browser",
    "TensorBoard",
    "Kafka",
    "RabbitMQ",
    "nginx",
}
FILES = sorted(FOLDER.glob("*" + SUFFIX))


def test_the_default_template_folder_is_the_checkouts() -> None:
    assert [Path(d).resolve() for d in settings().template_dirs] == [FOLDER]


def test_every_required_template_is_there() -> None:
    names = {t.name for t in system_templates([str(FOLDER)]).values()}
    assert names >= REQUIRED
    assert len(system_templates([str(FOLDER)])) == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_system_template_renders_to_valid_objects(path: Path) -> None:
    template = parse_template(path.read_text(), path.name[: -len(SUFFIX)], system=True)
    assert template.description, "say what it launches"
    for variable in template.variables:
        assert variable.help, f"{variable.name} needs a help text"
    name = template.variable("NAME")
    assert name is not None
    assert isinstance(name.default, str)
    objects = render(template, {}, context(name.default))
    for obj in objects:
        kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)
    assert objects[0]["kind"] == "Service"
    assert objects[0]["metadata"]["name"] == name.default
    for obj in objects:
        spec = obj.get("spec", {}).get("template", {}).get("spec")
        if spec is not None:
            assert spec.get("automountServiceAccountToken") is False, "services need no API token"
            for container in spec["containers"]:
                assert "resources" in container, f"{container['name']} needs resources"
                assert ":" in container["image"]
                assert not container["image"].endswith(":latest")


def test_a_broken_system_template_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "good.template.yaml").write_text((FOLDER / "redis.template.yaml").read_text())
    (tmp_path / "broken.template.yaml").write_text("kind: Template\nname: [\n")
    assert list(system_templates([str(tmp_path)])) == ["good"]


def test_the_first_folder_holding_an_id_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    redis = (FOLDER / "redis.template.yaml").read_text()
    (first / "redis.template.yaml").write_text(redis.replace("name: Redis", "name: Mine", 1))
    (second / "redis.template.yaml").write_text(redis)
    assert system_templates([str(first), str(second)])["redis"].name == "Mine"
