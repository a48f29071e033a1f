"""The vector store past one machine at scale: a Chroma server (``chroma run``) holding 1,000 policy versions.

Starts its own Chroma server on a free loopback port and a scratch folder, indexes Numecent's policy alone
into it, then a corpus of ``--versions`` versions (Numecent's and copies of the real histories in
../shared/data: Reddit's 22 dated versions and eleven other companies' policies, each copy a document of
its own opening with a line of its own, so no two versions are the same text). Reports, for one version
and for all of them:

- index time, in all and per version embedded; the part before the first batch of units was stored
  (parsing, fingerprints, reading what the server holds, that batch); and how many distinct texts the
  model embedded. The rest
  came from the vector cache (``CACHE_DIR``, a scratch one here): a copy shares all but its first line
  with the version it copies, more than versions of one policy share, so this index time is the
  store's and the cache's; a corpus of 1,000 unrelated versions adds the model's time for each unit;
- re-indexing with nothing changed (what every ``serve`` and ``index`` does at start);
- the disk the server's folder takes;
- warm ``ask`` latency over Numecent's questions, and reading one version's vectors from the server
  (what a question about a version not cached in memory waits for), median and p95.

    .venv/bin/python bench/chroma_scale.py                   # 1,000 versions
    .venv/bin/python bench/chroma_scale.py --versions 200
    .venv/bin/python bench/chroma_scale.py --quick           # 20 versions, 10 questions: a smoke run

Skips, saying so, when ../shared/data is not beside the checkout. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from assistant import Assistant
from assistant.corpus.documents import Corpus
from assistant.retrieval.store import version_key
from assistant.retrieval.vector_cache import FILE
from assistant.settings import PROJECT_ROOT
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import percentile

sys.path.insert(0, str(PROJECT_ROOT))  # the tests' Chroma launcher, so both run the same server
from tests.chroma_server import chroma_server

SHARED = PROJECT_ROOT.parent / "shared" / "data"
DOCUMENT = "numecent-privacy-policy"  # asked in both stores; its question bank and eval questions ship
WARM_UP = 5  # questions asked before the timed ones


@dataclass
class Measured:
    """One store's numbers."""

    versions: int
    embedded: int
    units: int
    model_texts: int
    index_seconds: float
    before_first_batch_seconds: float
    reindex_seconds: float
    disk_mb: float
    ask_ms: list[float]
    read_ms: list[float]


def sources() -> Iterator[tuple[str, str, str, str, str]]:
    """(document id, title, organization, effective date, Markdown body) of each real version."""
    for path in sorted((SHARED / "reddit-privacy-policy").glob("*.md")):
        yield "reddit-privacy-policy", "Reddit Privacy Policy", "Reddit", path.stem, path.read_text()
    for path in sorted((SHARED / "policies").glob("*-privacy-policy-*.md")):
        company, effective = path.stem.split("-privacy-policy-")
        name = company.capitalize()
        yield f"{company}-privacy-policy", f"{name} Privacy Policy", name, effective, path.read_text()


def shipped(folder: Path) -> Path:
    """A corpus folder holding Numecent's shipped versions alone."""
    (folder / DOCUMENT).mkdir(parents=True)
    for path in (PROJECT_ROOT / "corpus" / DOCUMENT).glob("*.md"):
        (folder / DOCUMENT / path.name).write_text(path.read_text())
    return folder


def write_corpus(folder: Path, versions: int) -> Path:
    """Numecent's shipped version and ``versions - 1`` copies of the real ones, each copy under a document
    id of its own (a real history stays one document's history) and opening with its own line."""
    shipped(folder)
    real = list(sources())
    for n in range(versions - 1):
        copy, which = divmod(n, len(real))
        document, title, organization, effective, body = real[which]
        copy_id = f"{document}-copy-{copy:03d}"
        (folder / copy_id).mkdir(exist_ok=True)
        (folder / copy_id / f"{effective}.md").write_text(
            f"---\ndocument: {copy_id}\ntitle: {title} (copy {copy})\norganization: {organization}\n"
            f"effective: {effective}\n---\n\nCopy {copy} of this policy, kept for a scale benchmark.\n\n{body}"
        )
    return folder


def disk_mb(folder: Path) -> float:
    """Disk the files below ``folder`` take (allocated blocks, as ``du`` counts)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file()) / 1e6


def cached_texts(cache_dir: Path) -> int:
    """Texts in the vector cache: each was embedded by the model once."""
    path = cache_dir / FILE
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT count(*) FROM vectors").fetchone()[0]


def timed_ms(calls: Iterable[Callable[[], object]]) -> list[float]:
    spent = []
    for call in calls:
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def measure(
    corpus_dir: Path,
    data_dir: Path,
    chroma_url: str,
    chroma_path: Path,
    questions: list[str],
) -> Measured:
    """Index ``corpus_dir`` into the server (embedding what it does not hold yet), then time it."""
    cache_dir = data_dir.parent / "cache"
    assistant = Assistant.open(corpus_dir, data_dir, chroma_url=chroma_url, cache_dir=cache_dir)
    assistant.embeddings.model  # noqa: B018  (the model loads, and the store opens, outside the timing)
    assistant.retriever  # noqa: B018
    versions = assistant.corpus.all_versions()
    bar: tqdm | None = None
    first_batch: float | None = None
    cached_before = cached_texts(cache_dir)
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        nonlocal bar, first_batch
        if bar is None:
            first_batch = time.perf_counter() - start
            bar = tqdm(total=total, unit="unit", desc=f"indexing {len(versions)} versions", file=sys.stderr)
        bar.update(done - bar.n)

    report = assistant.index(progress=progress)
    index_seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()

    again = Assistant.open(corpus_dir, data_dir, chroma_url=chroma_url, cache_dir=cache_dir)
    again.retriever  # noqa: B018
    start = time.perf_counter()
    assert again.index().units_embedded == 0
    reindex_seconds = time.perf_counter() - start

    for question in questions[:WARM_UP]:
        assistant.ask(question, document=DOCUMENT)  # the model, the bank and the version's vectors warm
    timed = questions[WARM_UP:]
    ask_ms = timed_ms(lambda q=q: assistant.ask(q, document=DOCUMENT) for q in timed)
    key = version_key(DOCUMENT, assistant.corpus.versions(DOCUMENT)[-1].version)
    read_ms = timed_ms(lambda: assistant.retriever.store.vectors_of(key) for _ in timed)
    return Measured(
        versions=len(versions),
        embedded=len(report.embedded),
        units=assistant.retriever.store.collection.count(),
        model_texts=cached_texts(cache_dir) - cached_before,
        index_seconds=index_seconds,
        before_first_batch_seconds=first_batch or index_seconds,
        reindex_seconds=reindex_seconds,
        disk_mb=disk_mb(chroma_path),
        ask_ms=ask_ms,
        read_ms=read_ms,
    )


def table(rows: list[tuple[str, Measured]]) -> str:
    header = (
        "| store | versions | units | versions embedded | model texts | index s | s per version | before 1st "
        "batch s | re-index s | disk MB | ask p50 ms | ask p95 ms | read vectors p50 ms | read vectors p95 ms |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for name, m in rows:
        lines.append(
            f"| {name} | {m.versions:,} | {m.units:,} | {m.embedded:,} | {m.model_texts:,} | {m.index_seconds:.1f} "
            f"| {m.index_seconds / max(m.embedded, 1):.2f} | {m.before_first_batch_seconds:.1f} "
            f"| {m.reindex_seconds:.1f} | {m.disk_mb:.0f} | {percentile(m.ask_ms, 50):.0f} "
            f"| {percentile(m.ask_ms, 95):.0f} | {percentile(m.read_ms, 50):.0f} | {percentile(m.read_ms, 95):.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000, help="versions in the large store (1000)")
    parser.add_argument("--questions", type=int, default=30, help="questions timed per store (30)")
    parser.add_argument("--quick", action="store_true", help="20 versions and 10 questions: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.versions, args.questions = 20, 10
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} is not beside this checkout")
        return 0
    questions = [row["question"] for row in read_jsonl(DATASETS / "policy_qa.jsonl")]
    questions = questions[: WARM_UP + args.questions]

    with tempfile.TemporaryDirectory(prefix="chroma-scale-") as scratch:
        folder = Path(scratch)
        corpus, one = write_corpus(folder / "corpus", args.versions), shipped(folder / "one")
        Corpus.load(corpus)  # a malformed copy fails here, before any timing
        with chroma_server(folder / "chroma", folder / "chroma.log") as url:
            small = measure(one, folder / "data", url, folder / "chroma", questions)
            large = measure(corpus, folder / "data", url, folder / "chroma", questions)
    print()
    print(table([("1 version", small), (f"{large.versions:,} versions", large)]))
    print(
        f"\nask: {len(small.ask_ms)} questions about {DOCUMENT}, warm (its vectors in memory); read vectors: "
        f"its {small.units:,} units' vectors read from the server, as on a question about a version not "
        "cached. Index s per version counts the versions embedded in that step; model texts, the distinct "
        "texts the model embedded (the other units' vectors came from the cache)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
