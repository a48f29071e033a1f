"""``--report DIR``: report.json (the numbers), report.md (for a pull request), report.html (with charts)."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

from evals.runner import format_summary

RATE_METRICS = (
    "hit@1",
    "hit@3",
    "citation_precision",
    "lead_hit",
    "faithfulness",
    "abstention_precision",
    "abstention_recall",
    "version_accuracy",
    "macro_f1",
    "request_detection",
    "false_request_rate",
    "field_accuracy.email",
    "field_accuracy.name",
    "field_accuracy.on_behalf_of",
)

SHOWN_GAPS = 15  # knowledge-gap groups per run in report.md and report.html; all are in report.json


def write_report(report: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "report.json", folder / "report.md", folder / "report.html"]
    written[0].write_text(json.dumps(report, indent=2, allow_nan=True), encoding="utf-8")
    written[1].write_text(markdown(report), encoding="utf-8")
    written[2].write_text(page(report), encoding="utf-8")
    return written


def _label(run: dict[str, Any]) -> str:
    return f"{run['suite']} ({run['split']}{', held out' if run['split'] == 'test' else ', tuned on'})"


def _fmt(value: float) -> str:
    return (
        "n/a"
        if isinstance(value, float) and math.isnan(value)
        else (f"{value:.3f}" if isinstance(value, float) else str(value))
    )


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Eval report\n\nTarget: {report['target']}; {report['created']}; {report['seconds']} s.\n"]
    for run in report["runs"]:
        lines += [f"## {_label(run)}\n", f"Dataset: `{run['dataset']}`\n", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in run["metrics"].items()]
        if run["failures"]:
            lines += [
                "",
                f"Failures ({len(run['failures'])}):",
                "",
                "| id | question | expected | got | why |",
                "|---|---|---|---|---|",
            ]
            lines += [
                "| "
                + " | ".join(
                    _md(x)
                    for x in (
                        f["id"],
                        f["question"],
                        f["expected"],
                        f["got"],
                        "; ".join(f.get("reasons", [])),
                    )
                )
                + " |"
                for f in run["failures"]
            ]
        if gaps := run["details"].get("gaps"):
            lines += [
                "",
                f"Knowledge gaps ({len(gaps)} groups): what was declined, or answered without the evidence, "
                "grouped by meaning as the team's gap report groups visitors' questions:",
                "",
                "| questions | declined | answered without the evidence | typical question | others |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| {g['count']} | {g['declined']} | {g['unhelpful']} | {_md(g['question'])} | "
                f"{_md(' / '.join(g['examples']))} |"
                for g in gaps[:SHOWN_GAPS]
            ]
            if len(gaps) > SHOWN_GAPS:
                lines.append(f"\n{len(gaps) - SHOWN_GAPS} smaller groups are in report.json.")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")[:300]


# -- charts ----------------------------------------------------------------------------------------
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _png(figure) -> str:
    plt = _pyplot()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def metric_bars(run: dict[str, Any]) -> str:
    plt = _pyplot()

    names = [m for m in RATE_METRICS if m in run["metrics"] and not math.isnan(run["metrics"][m])]
    names += sorted(m for m in run["metrics"] if m.startswith("f1."))
    values = [run["metrics"][m] for m in names]
    figure, axes = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
    axes.barh(names, [0 if math.isnan(v) else v for v in values], color="#3b6ea5")
    for y, v in enumerate(values):
        axes.text(min(v, 0.9) if not math.isnan(v) else 0, y, f" {_fmt(v)}", va="center")
    axes.set_xlim(0, 1)
    axes.invert_yaxis()
    axes.set_title(_label(run))
    return _png(figure)


def latency_histogram(runs: list[dict[str, Any]]) -> str:
    plt = _pyplot()

    figure, axes = plt.subplots(figsize=(7, 3.5))
    for run in runs:
        if run["latencies_ms"]:
            axes.hist(run["latencies_ms"], bins=30, alpha=0.6, label=_label(run))
    axes.set_xlabel("latency (ms)")
    axes.set_ylabel("questions / messages")
    axes.legend(fontsize="small")
    return _png(figure)


def confusion_chart(run: dict[str, Any]) -> str:
    plt = _pyplot()

    labels, matrix = run["details"]["confusion"]["labels"], run["details"]["confusion"]["matrix"]
    figure, axes = plt.subplots(figsize=(6.5, 6))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=8)
    axes.set_title(f"confusion: {_label(run)}")
    return _png(figure)


def page(report: dict[str, Any]) -> str:
    """One self-contained HTML file: the charts are inline PNGs, there are no outside references."""
    e = html.escape
    charts = [(f"metrics of {_label(r)}", metric_bars(r)) for r in report["runs"]]
    if any(r["latencies_ms"] for r in report["runs"]):
        charts.append(("latency", latency_histogram(report["runs"])))
    charts += [
        (f"confusion matrix of {_label(r)}", confusion_chart(r))
        for r in report["runs"]
        if "confusion" in r["details"]
    ]
    body = [
        f"<h1>Eval report</h1><p>Target {e(report['target'])}, {e(report['created'])}, {report['seconds']} s.</p>"
    ]
    body += [
        f'<figure><img alt="{e(title)}" src="data:image/png;base64,{data}"><figcaption>{e(title)}</figcaption></figure>'
        for title, data in charts
    ]
    body.append(
        f"<h2>Summary</h2><pre>{e(format_summary({**report, 'runs': [{**r, 'failures': []} for r in report['runs']]}))}</pre>"
    )
    body.append(
        "<h2>Failures</h2><table><tr><th>suite</th><th>id</th><th>question</th><th>expected</th><th>got</th><th>why</th><th>citations</th></tr>"
    )
    for run in report["runs"]:
        for f in run["failures"]:
            cites = "<br>".join(e(c) for c in f["citations"])
            body.append(
                f"<tr><td>{e(_label(run))}</td><td>{e(f['id'])}</td><td>{e(f['question'])}</td>"
                f"<td>{e(f['expected'])}</td><td>{e(f['got'])}</td><td>{e('; '.join(f.get('reasons', [])))}</td>"
                f"<td>{cites}</td></tr>"
            )
    body.append("</table>")
    body.append(
        "<h2>Knowledge gaps</h2><p>What was declined, or answered without the evidence, grouped by meaning "
        "as the team's gap report groups visitors' questions.</p><table><tr><th>suite</th><th>questions</th>"
        "<th>declined</th><th>answered without the evidence</th><th>typical question</th><th>others</th></tr>"
    )
    for run in report["runs"]:
        for g in run["details"].get("gaps", [])[:SHOWN_GAPS]:
            body.append(
                f"<tr><td>{e(_label(run))}</td><td>{g['count']}</td><td>{g['declined']}</td><td>{g['unhelpful']}</td>"
                f"<td>{e(g['question'])}</td><td>{'<br>'.join(e(x) for x in g['examples'])}</td></tr>"
            )
    body.append("</table>")
    style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:13px}figure{display:inline-block;margin:1em}"
    return f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Eval report</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n"
