"""Tables and text as a terminal, a notebook and a program see them."""

from __future__ import annotations

import json

from karvdash.commands.output import Column, Rich, Table, Text, render

COLUMNS = [Column("name", "Name", link="url"), Column("status", "Status")]


def test_text_table_is_aligned_with_upper_case_headers() -> None:
    table = Table(COLUMNS, [{"name": "web", "status": "Running"}, {"name": "db-1", "status": ""}])
    lines = render(table, "text").splitlines()
    assert lines == ["NAME  STATUS", "web   Running", "db-1"]


def test_empty_table_says_so() -> None:
    table = Table(COLUMNS, [], empty="no services")
    assert render(table, "text") == "no services"
    assert "no services" in render(table, "html")
    assert render(table, "json") == "[]"


def test_html_escapes_every_value_and_keeps_safe_links() -> None:
    evil = '<script>alert("x")</script>'
    table = Table(
        COLUMNS,
        [
            {"name": evil, "status": "<b>", "url": 'https://a.example/"onmouseover="x'},
            {"name": "b", "status": "ok", "url": "javascript:alert(1)"},
        ],
        title="<i>t</i>",
    )
    out = render(table, "html")
    for raw in ("<script>", "<b>", "<i>"):
        assert raw not in out
    assert "&lt;script&gt;" in out
    assert 'href="https://a.example/&quot;onmouseover=&quot;x"' in out
    assert "javascript:" not in out  # not a link: shown as text only


def test_json_output_is_the_data_not_the_rows() -> None:
    table = Table(COLUMNS, [{"name": "x"}], data=[{"name": "x", "objects": 3}])
    assert json.loads(render(table, "json")) == [{"name": "x", "objects": 3}]


def test_text_blocks_are_escaped_in_html_and_verbatim_in_text() -> None:
    block = Text("line <1>\n  indented", title="logs of web")
    assert render(block, "text") == "logs of web\nline <1>\n  indented"
    assert "line &lt;1&gt;\n  indented" in render(block, "html")


def test_rich_object_offers_html_and_text() -> None:
    rich = Rich(Table(COLUMNS, [{"name": "web", "status": "Running"}]))
    assert rich._repr_html_().startswith("<table")
    assert repr(rich).startswith("NAME")


def test_cells_flatten_lists_mappings_booleans_and_newlines() -> None:
    table = Table(
        [Column("a", "A"), Column("b", "B"), Column("c", "C")],
        [{"a": ["x", "y"], "b": {"K": 1}, "c": True}, {"a": "two\nlines", "b": None, "c": False}],
    )
    assert render(table, "text").splitlines()[1:] == ["x, y       K=1  yes", "two lines       no"]
