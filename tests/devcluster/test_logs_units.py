"""Pure parts of the local kubelet's container logs: the CRI log format, the kubelet's
query rules and refusals, file rotation, and who may call the kubelet API."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from karvdash import pki
from karvdash.devcluster import crilog, kubeletpki, kubeletserver, logrequest, logwriter
from karvdash.devcluster.podstatus import container_id, running_state, terminated_state
from karvdash.devcluster.podstatus import waiting_state as waiting

NOW = 1_700_000_000_123_456_789


def test_timestamps_have_nine_fraction_digits_like_the_kubelets() -> None:
    assert crilog.format_timestamp(NOW) == "2023-11-14T22:13:20.123456789Z"
    assert crilog.format_timestamp(1_700_000_000_000_000_000) == "2023-11-14T22:13:20.000000000Z"
    assert crilog.parse_timestamp("2023-11-14T22:13:20.123456789Z") == NOW
    assert crilog.parse_timestamp("2023-11-14T23:13:20.1+01:00") == 1_700_000_000_100_000_000
    with pytest.raises(ValueError, match="RFC3339"):
        crilog.parse_timestamp("yesterday")


def test_records_round_trip_full_and_partial_lines() -> None:
    data = crilog.format_record(NOW, "stdout", b"hello\n", False) + crilog.format_record(
        NOW + 1, "stderr", b"no newline", True
    )
    assert data == (
        b"2023-11-14T22:13:20.123456789Z stdout F hello\n"
        b"2023-11-14T22:13:20.123456790Z stderr P no newline\n"
    )
    assert crilog.parse_records(data + b"garbage line\n") == [
        crilog.Record(NOW, "stdout", False, b"hello\n"),
        crilog.Record(NOW + 1, "stderr", True, b"no newline"),
    ]


def test_long_output_is_cut_into_partial_records() -> None:
    pieces, rest = crilog.split_output(b"a\n" + b"x" * 10 + b"y\nun", max_line=4)
    assert pieces == [
        (b"a\n", False),
        (b"xxxx", True),
        (b"xxxx", True),
        (b"xxy\n", False),
    ]
    assert rest == b"un"


def test_tail_counts_lines_from_the_end() -> None:
    data = b"1\n2\n3\n"
    assert data[crilog.tail_start(data, 2) :] == b"2\n3\n"
    assert data[crilog.tail_start(data, 10) :] == data
    assert data[crilog.tail_start(data, 0) :] == b""
    assert data[crilog.tail_start(data, None) :] == data
    assert b"1\n2"[crilog.tail_start(b"1\n2", 1) :] == b"2"


def test_renderer_applies_since_timestamps_and_the_byte_limit() -> None:
    records = [
        crilog.Record(NOW, "stdout", False, b"old\n"),
        crilog.Record(NOW + 5, "stderr", False, b"new\n"),
        crilog.Record(NOW + 6, "stdout", False, b"newer\n"),
    ]
    assert crilog.LogRenderer(since=NOW + 1).render(records) == b"new\nnewer\n"
    stamped = crilog.LogRenderer(timestamps=True).render(records[:1])
    assert stamped == b"2023-11-14T22:13:20.123456789Z old\n"
    limited = crilog.LogRenderer(limit=6)
    assert limited.render(records) == b"old\nne"
    assert limited.done
    assert limited.render(records) == b""


def test_query_is_read_and_refused_as_the_kubelet_does() -> None:
    options = logrequest.parse_options(
        {"tailLines": "5", "limitBytes": "100", "timestamps": "true", "follow": "1"}, NOW
    )
    assert options == logrequest.LogOptions(
        tail_lines=5, limit_bytes=100, timestamps=True, follow=True
    )
    assert logrequest.parse_options({"sinceSeconds": "2"}, NOW).since == NOW - 2_000_000_000
    assert logrequest.parse_options({"tail": "all", "tailLines": "3"}, NOW).tail_lines is None
    assert logrequest.parse_options({"tail": "4"}, NOW).tail_lines == 4
    for bad in ({"tailLines": "x"}, {"previous": "maybe"}, {"sinceTime": "today"}):
        with pytest.raises(logrequest.LogRequestError) as undecodable:
            logrequest.parse_options(bad, NOW)
        assert (undecodable.value.status, undecodable.value.message) == (
            400,
            '{"message": "Unable to decode query."}',
        )
    for bad in (
        {"tailLines": "-1"},
        {"limitBytes": "0"},
        {"sinceSeconds": "0"},
        {"sinceSeconds": "1", "sinceTime": "2023-11-14T22:13:20Z"},
    ):
        with pytest.raises(logrequest.LogRequestError) as invalid:
            logrequest.parse_options(bad, NOW)
        assert invalid.value.status == 422


def _status(name: str, state: dict[str, object], **extra: object) -> dict[str, object]:
    return {"name": name, "state": state, "restartCount": 0, **extra}


def test_the_running_instance_and_the_previous_one_are_chosen_by_container_id() -> None:
    uid = "u-1"
    second = container_id(uid, "c", 1)
    first = terminated_state(1, "T", "T", container=container_id(uid, "c", 0))
    status = _status("c", running_state("T"), containerID=second, restartCount=1, lastState=first)
    assert logrequest.choose_container_id("p", [status], "c", previous=False) == second
    previous = logrequest.choose_container_id("p", [status], "c", previous=True)
    assert logrequest.instance_of(uid, status, previous) == 0
    assert logrequest.instance_of(uid, status, second) == 1
    assert logrequest.log_file(Path("/x"), "c", 1) == Path("/x/c/1.log")


@pytest.mark.parametrize(
    ("status", "previous", "message"),
    [
        (
            _status("c", running_state("T"), containerID="id"),
            True,
            'previous terminated container "c" in pod "p" not found',
        ),
        (
            _status("c", waiting("ErrImagePull", "x")),
            False,
            'container "c" in pod "p" is waiting to start: image can\'t be pulled',
        ),
        (
            _status("c", waiting("ImagePullBackOff", "x")),
            False,
            'container "c" in pod "p" is waiting to start: trying and failing to pull image',
        ),
        (
            _status("c", waiting("ContainerCreating", "")),
            False,
            'container "c" in pod "p" is waiting to start: ContainerCreating',
        ),
        (_status("other", running_state("T")), False, 'container "c" in pod "p" is not available'),
        (
            _status("c", terminated_state(0, "T", "T")),
            False,
            'container "c" in pod "p" is terminated',
        ),
    ],
)
def test_containers_without_a_log_are_refused_with_the_kubelets_words(
    status: dict[str, object], previous: bool, message: str
) -> None:
    with pytest.raises(logrequest.LogRequestError) as refused:
        logrequest.choose_container_id("p", [status], "c", previous)
    assert (refused.value.status, refused.value.message) == (400, message)


def test_following_goes_on_only_while_that_instance_runs() -> None:
    status = _status("c", running_state("T"), containerID="id-2")
    assert logrequest.is_running([status], "c", "id-2")
    assert not logrequest.is_running([status], "c", "id-1")
    assert not logrequest.is_running([_status("c", waiting("CrashLoopBackOff", ""))], "c", "id-2")


def test_container_names_include_init_and_ephemeral_containers() -> None:
    pod = {
        "spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "app"}],
            "ephemeralContainers": [{"name": "debug"}],
        }
    }
    assert logrequest.container_names(pod) == ["init", "app", "debug"]


def test_log_files_rotate_and_stay_bounded(tmp_path: Path) -> None:
    path = tmp_path / "c" / "0.log"
    log = logwriter.ContainerLog(path, logwriter.LogLimits(max_bytes=200, max_files=3))
    for n in range(40):
        log.write("stdout", [(f"line {n}\n".encode(), False)])
    log.close()
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["0.log", "0.log.1", "0.log.2"]
    assert all((path.parent / f).stat().st_size <= 200 for f in files)
    newest = crilog.parse_records(path.read_bytes())
    assert newest[-1].content == b"line 39\n"
    rotated = crilog.parse_records((path.parent / "0.log.1").read_bytes())
    assert rotated[-1].content == f"line {39 - len(newest)}\n".encode()


def test_a_new_instance_keeps_only_the_previous_instances_log() -> None:
    names = ["0.log", "1.log", "1.log.1", "2.log", "3.log", "notes.txt"]
    assert logwriter.stale_logs(names, 3) == ["0.log", "1.log", "1.log.1"]
    assert logwriter.stale_logs(names, 1) == []


def test_copier_writes_both_streams_and_the_unfinished_last_line(tmp_path: Path) -> None:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    log = logwriter.ContainerLog(tmp_path / "0.log", logwriter.LogLimits())
    with open(out_r, "rb") as out, open(err_r, "rb") as err:
        copier = logwriter.LogCopier(log, {"stdout": out, "stderr": err})
        os.write(out_w, b"to stdout\nand more")
        os.close(out_w)
        os.write(err_w, b"to stderr\n")
        os.close(err_w)
        copier.join(5)
    assert not any(t.is_alive() for t in copier.threads)
    records = crilog.parse_records((tmp_path / "0.log").read_bytes())
    assert sorted((r.stream, r.partial, r.content) for r in records) == [
        ("stderr", False, b"to stderr\n"),
        ("stdout", False, b"to stdout\n"),
        ("stdout", True, b"and more"),
    ]


def test_only_a_named_client_certificate_is_an_identity() -> None:
    cert = {"subject": ((("organizationName", "x"),), (("commonName", "kube-apiserver"),))}
    assert kubeletserver.client_identity(cert) == "kube-apiserver"
    assert kubeletserver.client_identity({}) is None
    assert kubeletserver.client_identity(None) is None
    assert (
        kubeletserver.forbidden_message("mallory", "GET", "/containerLogs/a/b/c")
        == "Forbidden (user=mallory, verb=get, resource=nodes, subresource=proxy)"
    )
    assert "subresource=stats" in kubeletserver.forbidden_message("m", "GET", "/stats/summary")


def test_api_servers_kubelet_client_certificate_is_a_client_cert_from_the_ca(
    tmp_path: Path,
) -> None:
    pki.ensure_certificates(tmp_path, ["127.0.0.1"], "test-ca")
    cert_file, key_file = kubeletpki.ensure_client_certificate(tmp_path)
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [n.value for n in names] == [kubeletpki.KUBELET_CLIENT]
    assert not cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    # kept while good, made again for another name
    assert kubeletpki.ensure_client_certificate(tmp_path) == (cert_file, key_file)
    assert cert_file.read_bytes() == cert.public_bytes(serialization.Encoding.PEM)
    kubeletpki.ensure_client_certificate(tmp_path, "someone-else")
    again = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert re.search("someone-else", again.subject.rfc4514_string())
