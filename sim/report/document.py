"""A small document model and its two renderings: self-contained HTML (figures embedded as base64 PNG)
and Markdown (figures as PNG files beside it). Text written by the project and values that come from
users (labels, settings, error messages, paths) are kept apart, so that every user value is escaped."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd


class User(str):
    """A string that came from a user or from data: always escaped, never markup."""


Inline = str | User


@dataclass
class Text:
    parts: list[Inline]
    note: bool = False  # a caveat or warning, shown highlighted


@dataclass
class Table:
    frame: pd.DataFrame  # cells are strings; every cell is escaped
    caption: str = ""


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Code:
    text: str
    summary: str = ""  # if set, shown folded under this summary (HTML <details>)


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclass
class Document:
    title: str
    sections: list[Section]


# --------------------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#<>&])")


def md_escape(text: str) -> str:
    """Escape what Markdown (and HTML inside Markdown) would interpret."""
    text = str(text).replace("\n", " ")
    return _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(m.group(1), "\\" + m.group(1)), text)


def _md_inline(parts: list[Inline]) -> str:
    return "".join(md_escape(p) if isinstance(p, User) else p for p in parts)


def markdown(doc: Document, figure_dir_name: str) -> str:
    out = [f"# {md_escape(doc.title)}", ""]
    out += [f"- [{s.title}](#{s.anchor})" for s in doc.sections] + [""]
    for s in doc.sections:
        out += [f"## {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Text):
                text = _md_inline(b.parts)
                out += [f"> **Note.** {text}" if b.note else text, ""]
            elif isinstance(b, Table):
                if b.caption:
                    out += [f"*{md_escape(b.caption)}*", ""]
                header = "| " + " | ".join(md_escape(c) for c in b.frame.columns) + " |"
                out += [header, "|" + "---|" * len(b.frame.columns)]
                out += ["| " + " | ".join(md_escape(v) for v in row) + " |" for row in b.frame.astype(str).values]
                out += [""]
            elif isinstance(b, Figure):
                caption = md_escape(b.caption)
                out += [f"![{caption}]({figure_dir_name}/{b.path.name})", "", f"*{caption}*", ""]
            elif isinstance(b, Code):
                if b.summary:
                    out += [f"{md_escape(b.summary)}:", ""]
                fence = "````" if "```" in b.text else "```"
                out += [fence, b.text.rstrip("\n"), fence, ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------------
# HTML

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ doc.title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .88em; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3em; }
.note { background: #fff6e0; border-left: 4px solid #e0a800; padding: .5em .8em; }
figure { margin: 1em 0; } figure img { max-width: 100%; } figcaption { font-style: italic; font-size: .9em; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: .82em; }
nav ul { columns: 2; }
/* The PDF (WeasyPrint, pdf.py) and a browser's print: A4 with page numbers; wide tables and the configuration
   wrap inside the margins instead of running off the page; a heading stays with what follows it. */
@page { size: A4; margin: 16mm 14mm 18mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #666; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; overflow-wrap: anywhere; }
  h1 { font-size: 1.5em; margin-top: 0; } h2 { margin-top: 1.4em; break-after: avoid; }
  table { font-size: 8pt; max-width: 100%; } th, td { overflow-wrap: break-word; } th { hyphens: auto; }
  caption { break-after: avoid; } tr, figure, .note { break-inside: avoid; }
  pre { white-space: pre-wrap; font-size: 7pt; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<h1>{{ doc.title }}</h1>
<nav><ul>{% for s in doc.sections %}<li><a href="#{{ s.anchor }}">{{ s.title }}</a></li>{% endfor %}</ul></nav>
{% for s in doc.sections %}
<section id="{{ s.anchor }}">
<h2>{{ s.title }}</h2>
{% for b in s.blocks %}
{% if b.kind == "text" %}<p{% if b.note %} class="note"{% endif %}>{% if b.note %}<strong>Note.</strong> {% endif %}{{ b.text }}</p>
{% elif b.kind == "table" %}<table>{% if b.caption %}<caption>{{ b.caption }}</caption>{% endif %}
<thead><tr>{% for c in b.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in b.rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{% elif b.kind == "figure" %}<figure><img alt="{{ b.caption }}" src="data:image/png;base64,{{ b.data }}">
<figcaption>{{ b.caption }}</figcaption></figure>
{% elif b.kind == "code" %}{% if b.summary %}<details><summary>{{ b.summary }}</summary>{% endif %}<pre>{{ b.text }}</pre>{% if b.summary %}</details>{% endif %}
{% endif %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""


def html(doc: Document) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    sections = []
    for s in doc.sections:
        blocks = []
        for b in s.blocks:
            if isinstance(b, Text):
                blocks.append({"kind": "text", "text": "".join(b.parts), "note": b.note})
            elif isinstance(b, Table):
                blocks.append(
                    {
                        "kind": "table",
                        "caption": b.caption,
                        "columns": [str(c) for c in b.frame.columns],
                        "rows": b.frame.astype(str).values.tolist(),
                    }
                )
            elif isinstance(b, Figure):
                blocks.append(
                    {
                        "kind": "figure",
                        "caption": b.caption,
                        "data": base64.b64encode(b.path.read_bytes()).decode("ascii"),
                    }
                )
            elif isinstance(b, Code):
                blocks.append({"kind": "code", "text": b.text, "summary": b.summary})
        sections.append({"title": s.title, "anchor": s.anchor, "blocks": blocks})
    return env.from_string(_HTML).render(doc={"title": doc.title, "sections": sections})
