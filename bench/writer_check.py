"""Bench: how the LLM writer's grounding check judges leads over real Numecent answers.

Run: .venv/bin/python bench/writer_check.py [--verbose]
Reads evals/datasets/writer_leads.json (questions, the quotes the assistant selected, faithful
paraphrases written from them and doctored leads stating what they do not) and prints how many doctored
leads the check would show (the failure: it must be 0) and how many faithful ones it accepts.
No model and no index: the check is word-level.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from assistant.answering.grounding import problems

LEADS = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "writer_leads.json"
ORGANIZATION = ("Numecent",)


def judge(path: Path = LEADS) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]], Counter, Counter]:
    """Doctored leads shown (kind, lead); faithful leads rejected (lead, why); counts by kind."""
    answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
    shown: list[tuple[str, str]] = []
    rejected: list[tuple[str, list[str]]] = []
    doctored: Counter = Counter()
    faithful: Counter = Counter()
    for answer in answers:
        for lead in answer["faithful"]:
            faithful["all"] += 1
            if found := problems(lead, answer["quotes"], ORGANIZATION):
                rejected.append((lead, found))
        for item in answer["doctored"]:
            doctored[item["kind"]] += 1
            if not problems(item["lead"], answer["quotes"], ORGANIZATION):
                shown.append((item["kind"], item["lead"]))
    return shown, rejected, doctored, faithful


_AUXILIARY = re.compile(r"\b(will|may|can|do|does|are|is|have|has)\b(?! not\b)", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|never)\s+|\bno\s+(?=longer\b)|n't\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d+\b|\b(one|two|three|six|twelve|thirty)\b", re.IGNORECASE)
_NUMBERS = {
    "one": "two",
    "two": "three",
    "three": "four",
    "six": "seven",
    "twelve": "eighteen",
    "thirty": "sixty",
}


def mutations(lead: str) -> list[tuple[str, str]]:
    """Leads made from a faithful one that no longer say what the quotes say: its negation dropped, or
    one added after its first auxiliary; each number changed."""
    made = []
    if _NEGATION.search(lead):
        made.append(("negation dropped", _NEGATION.sub("", lead, count=1)))
    elif _AUXILIARY.search(lead):
        made.append(("negation added", _AUXILIARY.sub(lambda m: f"{m.group(1)} not", lead, count=1)))
    for match in _NUMBER.finditer(lead):
        word = match.group()
        other = _NUMBERS.get(word.lower()) or str(int(word) + 1)
        made.append(("number changed", lead[: match.start()] + other + lead[match.end() :]))
    return made


def judge_mutations(path: Path = LEADS) -> tuple[list[tuple[str, str]], Counter]:
    """The mutations of every faithful lead that the check accepts, and how many of each kind were made."""
    shown: list[tuple[str, str]] = []
    made: Counter = Counter()
    for answer in json.loads(path.read_text(encoding="utf-8"))["answers"]:
        for lead in answer["faithful"]:
            for kind, mutated in mutations(lead):
                made[kind] += 1
                if not problems(mutated, answer["quotes"], ORGANIZATION):
                    shown.append((kind, mutated))
    return shown, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list the faithful leads rejected, and why")
    args = parser.parse_args()
    shown, rejected, doctored, faithful = judge()
    total = sum(doctored.values())
    print(f"unsupported (doctored) leads shown: {len(shown)}/{total}")
    for kind, count in sorted(doctored.items()):
        print(f"  {kind:28} {count - sum(1 for k, _ in shown if k == kind)}/{count} rejected")
    for kind, lead in shown:
        print(f"  SHOWN ({kind}): {lead}")
    mutated_shown, made = judge_mutations()
    print(
        f"faithful leads mutated (negation flipped, numbers changed) and shown: {len(mutated_shown)}/{sum(made.values())}"
    )
    for kind, count in sorted(made.items()):
        print(f"  {kind:28} {count - sum(1 for k, _ in mutated_shown if k == kind)}/{count} rejected")
    for kind, lead in mutated_shown:
        print(f"  SHOWN ({kind}): {lead}")
    accepted = faithful["all"] - len(rejected)
    print(f"faithful leads accepted: {accepted}/{faithful['all']} ({accepted / faithful['all']:.2f})")
    if args.verbose:
        for lead, found in rejected:
            print(f"  rejected: {lead}\n    because {'; '.join(found)}")


if __name__ == "__main__":
    main()
