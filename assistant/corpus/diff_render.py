"""A diff as plain text (CLI), JSON (tools) and one self-contained HTML page (the web app serves it).

Plain functions of the changes and the two version names, so any channel can call them. Text and HTML
lead with the changes of substance, most substantial first, and group the changes of dates, link text,
formatting or order at the end; JSON keeps the document's order and gives each change its rank.
"""

from __future__ import annotations

import json

import jinja2

from assistant.corpus.diff import Change, summarize, word_diff
from assistant.corpus.substance import by_substance, is_minor

MINOR_HEADING = "Only dates, link text, formatting or the order of passages"

_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ document }}: {{ old }} → {{ new }}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.4rem; } .summary { color: #59636e; }
.change { border-left: 4px solid #d0d7de; margin: 1rem 0; padding: .25rem 1rem; }
.added { border-color: #1a7f37; } .removed { border-color: #cf222e; }
.modified { border-color: #9a6700; } .moved { border-color: #0969da; }
.kind { font-weight: 600; text-transform: uppercase; font-size: .75rem; letter-spacing: .05em; }
.section { color: #59636e; font-size: .9rem; }
h2.minor { font-size: 1.1rem; margin-top: 2rem; color: #59636e; }
p.text { margin: .4rem 0; white-space: pre-line; }
ins { background: #dafbe1; text-decoration: none; } del { background: #ffebe9; }
p.old { color: #59636e; }
</style>
</head>
<body>
<h1>{{ document }}: changes from the version of {{ old }} to the version of {{ new }}</h1>
<p class="summary">{% if changes %}{{ changes|length }} change{{ "s" if changes|length != 1 }}: {{ counts.added }} added, {{ counts.removed }} removed, {{ counts.modified }} modified, {{ counts.moved }} moved.{% else %}No changes of content: the two versions say the same.{% endif %}</p>
{% for c in changes %}
{% if c.first_minor %}<h2 class="minor" id="minor">{{ minor_heading }} ({{ minor_count }})</h2>
{% endif %}<section class="change {{ c.kind }}" id="change-{{ loop.index }}">
<div class="kind">{{ c.kind }} {{ c.scope }}</div>
<div class="section">{% if c.kind == "moved" and c.old_section != c.new_section %}{{ c.old_section }} → {{ c.new_section }}{% else %}{{ c.section }}{% endif %}</div>
{% if c.runs %}<p class="text">{% for op, text in c.runs %}{% if op == "delete" %}<del>{{ text }}</del>{% elif op == "insert" %}<ins>{{ text }}</ins>{% else %}{{ text }}{% endif %}{% endfor %}</p>
{% else %}{% if c.old_text and c.kind == "removed" %}<p class="text"><del>{{ c.old_text }}</del></p>{% endif %}
{% if c.new_text and c.kind == "added" %}<p class="text"><ins>{{ c.new_text }}</ins></p>{% endif %}
{% if c.kind == "moved" %}<p class="text">{{ c.new_text }}</p>{% endif %}
{% if c.kind in ("added", "removed") and c.scope == "section" and not (c.old_text or c.new_text) %}<p class="text old">(a heading with no text under it)</p>{% endif %}{% endif %}
</section>
{% endfor %}
</body>
</html>
"""
)


def render_diff_text(changes: list[Change], document: str, old: str, new: str) -> str:
    counts = summarize(changes)
    head = f"{document}: {old} → {new}"
    if not changes:
        return f"{head}\nNo changes of content."
    lines = [
        f"{head}\n{len(changes)} change(s): {counts['added']} added, {counts['removed']} removed, "
        f"{counts['modified']} modified, {counts['moved']} moved"
    ]
    minor = [c for c in changes if is_minor(c)]
    for c in by_substance(changes):
        if minor and c is minor[0]:
            lines.append(f"\n{MINOR_HEADING} ({len(minor)}):")
        where = f"{c.old_section} → {c.new_section}" if c.kind == "moved" else c.section
        lines.append(f"\n{c.kind} {c.scope}: {where}")
        if c.kind == "moved" and c.scope == "section":
            continue
        if c.kind == "moved" and c.old_text == c.new_text:
            lines.extend(f"  = {line}" for line in (c.new_text or "").splitlines())
            continue
        if c.old_text:
            lines.extend(f"  - {line}" for line in c.old_text.splitlines())
        if c.new_text and c.new_text != c.old_text:
            lines.extend(f"  + {line}" for line in c.new_text.splitlines())
        if c.words_removed or c.words_added:
            went = "; ".join(c.words_removed) or "nothing"
            came = "; ".join(c.words_added) or "nothing"
            lines.append(f"  words: -[{went}] +[{came}]")
    return "\n".join(lines)


def render_diff_json(changes: list[Change], document: str, old: str, new: str) -> str:
    rank = {id(c): n for n, c in enumerate(by_substance(changes), start=1)}
    payload = {
        "document": document,
        "old": old,
        "new": new,
        "summary": summarize(changes),
        # Document order; ``rank`` is the place in the reading order of the text and HTML renderings.
        "changes": [{**c.to_dict(), "rank": rank[id(c)], "minor": is_minor(c)} for c in changes],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def render_diff_html(changes: list[Change], document: str, old: str, new: str) -> str:
    """One page with its own styles and no scripts or outside resources; every text is escaped."""
    minor = [c for c in changes if is_minor(c)]
    views = [
        {
            **c.to_dict(),
            "first_minor": bool(minor) and c is minor[0],
            "runs": word_diff(c.old_text, c.new_text)
            if c.old_text and c.new_text and c.old_text != c.new_text and c.scope != "section"
            else [],
        }
        for c in by_substance(changes)
    ]
    return _HTML.render(
        document=document,
        old=old,
        new=new,
        changes=views,
        counts=summarize(changes),
        minor_heading=MINOR_HEADING,
        minor_count=len(minor),
    )
