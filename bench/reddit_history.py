"""The history features on 22 real versions of Reddit's privacy policy (../shared/data, when present).

Imports every version through ``corpus add``'s code path into a scratch corpus, diffs each version with
the one before, checks that a change of formatting only (same words) gives an empty diff, answers a
question as of the first day of every version and the day before, and runs the health check on the
latest. Prints what it saw; exits 1 when a formatting-only change shows up as a content change or an
as-of answer cites a version that was not in force.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from assistant import Assistant
from assistant.corpus.diff import diff_versions, summarize
from assistant.corpus.importing import add_version
from assistant.corpus.lint import lint_version
from assistant.corpus.outline import content_key
from assistant.corpus.units import parse_policy
from assistant.history import read_history_question
from assistant.settings import PROJECT_ROOT

REDDIT = PROJECT_ROOT.parent / "shared" / "data" / "reddit-privacy-policy"
DOCUMENT = "reddit-privacy-policy"
QUESTIONS = ("Do you sell my personal data?", "How can I delete my account?")
PER_VERSION = 5  # old sentences asked per version


def words(version) -> list[str]:
    return [content_key(u.text) for u in parse_policy(version).units]


def old_sentences(assistant: Assistant, versions: list) -> int:
    """Ask each old version's own sentences (ones the version in force no longer has), as of that version's
    date: the answer should quote that version. Asked with no date, the answer should quote only the
    version in force (or abstain). Returns the number of no-date answers from an old version."""
    today = assistant.corpus.in_force(DOCUMENT, date.today())
    current = set(words(today))
    found, asked, undated, from_old = 0, 0, 0, 0
    for version in versions:
        if version.version == today.version:
            continue
        units = [u for u in parse_policy(version).units if content_key(u.text) not in current]
        for unit in [u for u in units if len(u.text.split()) >= 8][:PER_VERSION]:
            asked += 1
            then = assistant.ask(unit.text, as_of=version.effective)
            found += any(c.version == version.version and unit.text in c.quote for c in then.citations)
            if read_history_question(unit.text, date.today()) is not None:
                continue  # it names a time ("take effect on December 15, 2022"): not a question with no date
            undated += 1
            now = assistant.ask(unit.text)
            if any(c.version != today.version for c in now.citations):
                from_old += 1
                print(
                    f"  FAIL no date, answered from {sorted({c.version for c in now.citations})}: {unit.text[:80]!r}"
                )
    print(
        f"\nold versions' own sentences ({asked}, at most {PER_VERSION} per version): as of the version's date, "
        f"quoted from it {found / max(asked, 1):.3f}; the {undated} naming no time, asked with no date, were "
        f"answered from an old version {from_old} times"
    )
    return from_old


def main() -> int:
    if not REDDIT.is_dir():
        print(f"skipped: {REDDIT} is not beside this checkout")
        return 0
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        corpus_dir = Path(scratch) / "corpus"
        files = sorted(REDDIT.glob("*.md"))
        for path in files:
            add_version(
                corpus_dir, path, DOCUMENT, date.fromisoformat(path.stem), title="Reddit Privacy Policy"
            )
        assistant = Assistant.open(corpus_dir=corpus_dir, data_dir=Path(scratch) / "data")
        versions = assistant.versions(DOCUMENT)
        print(f"{len(versions)} versions imported, {versions[0].version} … {versions[-1].version}\n")

        print("diff of each version with the one before:")
        kinds: Counter[str] = Counter()
        for old, new in pairwise(versions):
            start = time.perf_counter()
            changes = diff_versions(old, new)
            ms = (time.perf_counter() - start) * 1000
            raw_same = old.body == new.body
            same_words = words(old) == words(new)
            nature = "identical text" if raw_same else "formatting only" if same_words else "content"
            counts = summarize(changes)
            kinds.update(c.kind + "/" + c.scope for c in changes)
            flag = ""
            if same_words and changes:
                flag = "  <-- FAIL: formatting-only change reported as content"
                failures += 1
            print(
                f"  {old.version} → {new.version}  {nature:<15} {len(changes):>3} changes "
                f"(+{counts['added']} -{counts['removed']} ~{counts['modified']} ↔{counts['moved']})  {ms:6.1f} ms{flag}"
            )
        print("  changes by kind over the whole history:", dict(sorted(kinds.items())))

        print("\nas-of answers on the first day of each version and the day before:")
        start = time.perf_counter()
        report = assistant.index()
        print(f"  index: {report} in {time.perf_counter() - start:.0f} s")
        checked = 0
        for version in versions:
            for day in (version.effective - timedelta(days=1), version.effective):
                in_force = assistant.corpus.in_force(DOCUMENT, day)
                if in_force is None:
                    continue
                for question in QUESTIONS:
                    answer = assistant.ask(question, as_of=day)
                    cited = {c.version for c in answer.citations}
                    checked += 1
                    if cited != {in_force.version}:
                        failures += 1
                        print(
                            f"  FAIL {day} {question!r}: cited {sorted(cited)}, in force {in_force.version}"
                        )
        print(
            f"  {checked} answers checked: each cites only the version in force that day"
            if not failures
            else ""
        )
        failures += old_sentences(assistant, versions)
        for question in ("What changed in the last version?", "Since when does the policy mention ChatGPT?"):
            answer = assistant.ask(question)
            print(f"\n  Q: {question}\n  A: {answer.text[:400]}")
            print(f"     cites versions {[c.version for c in answer.citations]}")

        findings = lint_version(versions[-1])
        print(f"\nhealth check of {versions[-1].version}: {len(findings)} finding(s)")
        for f in findings:
            print(f"  {f.code} {f.severity} {f.name}: {f.section}: “{f.quote[:100]}”")
    print("\nresult:", "ok" if not failures else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
