"""The pure parts: archive planning, tag summaries, the collector's report, Link headers."""

from __future__ import annotations

import json

import pytest

from karvdash.registry import ArchiveError
from karvdash.registry.archive import ArchiveContents, Blob, plan, sniff
from karvdash.registry.details import image_summary, schema1_summary
from karvdash.registry.gc import is_empty_registry, parse_output
from karvdash.registry.responses import next_last

from .images import Image, layer, sha256


def docker_contents(entries: list[dict[str, object]], images: list[Image]) -> ArchiveContents:
    """What reading a Docker archive of ``images`` (one folder each) would have learnt."""
    contents = ArchiveContents(metadata={"manifest.json": json.dumps(entries).encode()})
    for i, image in enumerate(images):
        config = image.config()
        contents.blobs[f"c{i}.json"] = Blob(f"c{i}.json", sha256(config), len(config), "json",
                                            data=config)  # fmt: skip
        for j, data in enumerate(image.layers):
            path = f"l{i}-{j}.tar"
            contents.blobs[path] = Blob(path, sha256(data), len(data), "tar", sha256(data),
                                        pushed=True)  # fmt: skip
    return contents


def entry(i: int, image: Image, tags: list[str]) -> dict[str, object]:
    layers = [f"l{i}-{j}.tar" for j in range(len(image.layers))]
    return {"Config": f"c{i}.json", "RepoTags": tags, "Layers": layers}


IMAGES = [Image([layer({"a": b"1"})]), Image([layer({"b": b"2"}), layer({"c": b"3"})])]


def test_a_docker_archive_of_several_images_takes_the_one_with_the_tag() -> None:
    contents = docker_contents(
        [entry(0, IMAGES[0], ["x/app:v1"]), entry(1, IMAGES[1], ["x/app:v2"])], IMAGES
    )
    todo = plan(contents, "v2")
    manifest = json.loads(todo.manifests[-1].body)
    assert [x["digest"] for x in manifest["layers"]] == IMAGES[1].diff_ids
    assert [b.path for b in todo.blobs] == ["c1.json"]  # layers were pushed on the way
    with pytest.raises(ArchiveError, match=r"holds 2 images \(x/app:v1, x/app:v2\)"):
        plan(contents, "v3")


def test_the_configuration_must_list_as_many_layers_as_the_manifest() -> None:
    contents = docker_contents([entry(0, IMAGES[0], [])], IMAGES[:1])
    contents.metadata["manifest.json"] = json.dumps(
        [{"Config": "c0.json", "Layers": ["l0-0.tar", "l0-0.tar"]}]
    ).encode()
    with pytest.raises(ArchiveError, match=r"lists 1 layers, manifest\.json 2"):
        plan(contents, "v1")


def test_a_loop_of_links_is_refused() -> None:
    contents = docker_contents([entry(0, IMAGES[0], [])], IMAGES[:1])
    contents.links = {"a": "b", "b": "a"}
    contents.metadata["manifest.json"] = json.dumps(
        [{"Config": "a", "Layers": ["l0-0.tar"]}]
    ).encode()
    with pytest.raises(ArchiveError, match="loop of links"):
        plan(contents, "v1")


def test_an_oci_index_names_its_images_when_none_has_the_tag() -> None:
    blobs, index = IMAGES[0].oci_blobs("one")
    index["manifests"].append(dict(index["manifests"][0], annotations={
        "org.opencontainers.image.ref.name": "two"}))  # fmt: skip
    contents = ArchiveContents(metadata={"index.json": json.dumps(index).encode()})
    for digest, data in blobs.items():
        path = "blobs/sha256/" + digest[7:]
        kind = sniff(data)
        contents.blobs[path] = Blob(path, digest, len(data), kind,
                                    data=data if kind == "json" else None,
                                    pushed=kind != "json")  # fmt: skip
    assert plan(contents, "two").digest == index["manifests"][0]["digest"]
    with pytest.raises(ArchiveError, match=r"\(one, two\)"):
        plan(contents, "three")


def test_what_blobs_look_like() -> None:
    assert sniff(layer({"a": b"1"})) == "tar"
    assert sniff(b"\x1f\x8b\x08rest") == "gzip"
    assert sniff(b"\x28\xb5\x2f\xfdrest") == "zstd"
    assert sniff(b'  {"a": 1}') == "json"
    assert sniff(bytes(1024)) == "tar"  # an empty layer: the end-of-archive marker alone
    assert sniff(b"hello") == "data"


def test_a_summary_counts_stored_sizes_and_reads_the_configuration() -> None:
    manifest = {"config": {"size": 10}, "layers": [{"size": 100}, {"size": 1000}]}
    config = {"os": "linux", "architecture": "arm", "variant": "v7", "created": "2020-01-01"}
    assert image_summary(manifest, config) == {
        "size": 1110, "layers": 2, "os": "linux", "architecture": "arm", "variant": "v7",
        "created": "2020-01-01",
    }  # fmt: skip
    old = {"architecture": "amd64", "fsLayers": [{}, {}, {}],
           "history": [{"v1Compatibility": '{"created": "2015-05-05"}'}]}  # fmt: skip
    assert schema1_summary(old)["created"] == "2015-05-05"
    assert schema1_summary(old)["size"] is None


def test_the_collector_report_is_read_from_its_output() -> None:
    output = (
        "app\napp: marking manifest sha256:aa\n"
        "3 blobs marked, 2 blobs and 1 manifests eligible for deletion\n"
        "blob eligible for deletion: sha256:" + "1" * 64 + "\n"
        'time="..." level=info msg="Deleting blob: /docker/registry/v2/blobs/sha256/11/..."\n'
        "blob eligible for deletion: sha256:" + "2" * 64 + "\n"
    )
    report = parse_output(output)
    assert report.blobs_marked == 3
    assert report.manifests_deleted == 1
    assert report.blobs_deleted == ["sha256:" + "1" * 64, "sha256:" + "2" * 64]
    assert is_empty_registry(
        "failed to garbage collect: failed to mark: filesystem: "
        "Path not found: /docker/registry/v2/repositories"
    )


def test_the_next_page_comes_from_the_link_header() -> None:
    link = '</v2/_catalog?last=team%2Fapp&n=100>; rel="next"'
    assert next_last(link) == "team/app"
    assert next_last(None) is None
    assert next_last('</v2/_catalog?n=100>; rel="prev"') is None
