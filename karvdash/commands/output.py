"""How results are shown: aligned text tables for terminals, HTML tables for notebooks,
JSON for programs. Pure functions over plain data; every value is escaped in HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """One column: the key read from each row, its header and, optionally, the key of a
    URL that makes the cell a link in HTML."""

    key: str
    header: str
    link: str | None = None


@dataclass(frozen=True)
class Table:
    """Rows (mappings) shown under ``columns``; ``empty`` is said when there are none."""

    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    empty: str = "nothing to show"
    title: str = ""
    data: Any = field(default=None, compare=False)
    """What ``--output json`` prints (defaults to the rows)."""


def cell(value: Any) -> str:
    """A value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return " ".join(str(value).split())


def render_text(table: Table) -> str:
    """An aligned plain-text table (no trailing spaces)."""
    lines = [table.title] if table.title else []
    if not table.rows:
        return "\n".join([*lines, table.empty])
    grid = [[c.header.upper() for c in table.columns]]
    grid += [[cell(row.get(c.key)) for c in table.columns] for row in table.rows]
    widths = [max(len(line[i]) for line in grid) for i in range(len(table.columns))]
    for line in grid:
        lines.append("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _html_cell(row: Mapping[str, Any], column: Column) -> str:
    text = html.escape(cell(row.get(column.key)))
    url = row.get(column.link) if column.link else None
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        href = html.escape(url, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{text}</a>'
    return text


def render_html(table: Table) -> str:
    """An HTML table; every value, header and URL is escaped."""
    title = f"<p><strong>{html.escape(table.title)}</strong></p>" if table.title else ""
    if not table.rows:
        return f"{title}<p><em>{html.escape(table.empty)}</em></p>"
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_html_cell(row, c)}</td>" for c in table.columns) + "</tr>"
        for row in table.rows
    )
    return (
        f'{title}<table class="karvdash-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def render_json(data: Any) -> str:
    """Indented JSON, keys in a stable order."""
    return json.dumps(data, indent=2, sort_keys=True, default=str)


@dataclass(frozen=True)
class Text:
    """A block of text (service logs, a template's YAML) shown as is."""

    text: str
    title: str = ""
    data: Any = field(default=None, compare=False)


def render_text_block(block: Text) -> str:
    return f"{block.title}\n{block.text}" if block.title else block.text


def render_html_block(block: Text) -> str:
    title = f"<p><strong>{html.escape(block.title)}</strong></p>" if block.title else ""
    return f'{title}<pre class="karvdash-text">{html.escape(block.text)}</pre>'


Result = Table | Text


def render(result: Result, fmt: str) -> str:
    """``result`` as ``text``, ``html`` or ``json``."""
    if fmt == "json":
        if isinstance(result, Table):
            return render_json(result.data if result.data is not None else list(result.rows))
        return render_json(result.data if result.data is not None else result.text)
    if fmt == "html":
        return render_html(result) if isinstance(result, Table) else render_html_block(result)
    return render_text(result) if isinstance(result, Table) else render_text_block(result)


class Rich:
    """What the magics display: HTML in a notebook, text in a terminal (IPython picks)."""

    def __init__(self, result: Result) -> None:
        self.result = result

    def _repr_html_(self) -> str:
        return render(self.result, "html")

    def __repr__(self) -> str:
        return render(self.result, "text")
