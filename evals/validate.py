"""Dataset hygiene: schema, duplicates, gold evidence that really occurs in the cited version, and no
eval question that appears verbatim in training data (the intake and scope classifiers' files)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from assistant.corpus.documents import BANK, Corpus
from assistant.corpus.units import parse_policy
from assistant.exceptions import PrivacyAssistantError
from assistant.intake.classifier import training_files
from assistant.intake.draft import ON_BEHALF_OF
from assistant.intake.rights import RIGHTS
from assistant.retrieval.question_bank import read_examples
from assistant.retrieval.scope import TRAINING as SCOPE_TRAINING
from assistant.settings import PROJECT_ROOT
from evals.datasets_io import DATASETS, read_jsonl

QUESTION_BANKS = tuple(sorted((PROJECT_ROOT / "corpus").glob(f"*/{BANK}")))
TRAINING_FILES = (*training_files(), SCOPE_TRAINING, *QUESTION_BANKS)
_STR, _BOOL, _LIST = (str,), (bool,), (list,)
_OPT = (str, type(None))
SCHEMAS: dict[str, dict[str, tuple[type, ...]]] = {
    "qa": {
        "id": _STR,
        "question": _STR,
        "answerable": _BOOL,
        "evidence": _LIST,
        "document": _OPT,
        "as_of": _OPT,
        "language": _STR,
    },
    "history": {
        "id": _STR,
        "kind": _STR,
        "question": _STR,
        "corpus": _STR,
        "document": _OPT,
        "as_of": _OPT,
        "versions": _LIST,
        "evidence": _LIST,
    },
    "intake": {
        "id": _STR,
        "kind": _STR,
        "message": _STR,
        "is_request": _BOOL,
        "rights": _LIST,
        "email": _OPT,
        "name": _OPT,
        "on_behalf_of": _OPT,
        "language": _STR,
        "subject_name": _OPT,
        "subject_email": _OPT,
    },
}
REQUIRED = {
    "qa": ("id", "question", "answerable", "evidence"),
    "history": ("id", "kind", "question", "corpus", "versions", "evidence"),
    "intake": ("id", "message", "is_request", "rights"),
}
DATASET_KINDS = {
    "policy_qa.jsonl": "qa",
    "policy_qa_dev.jsonl": "qa",
    "policy_qa_languages.jsonl": "qa",
    "policy_qa_languages_dev.jsonl": "qa",
    "history_qa.jsonl": "history",
    "intake.jsonl": "intake",
    "intake_holdout.jsonl": "intake",
    "intake_blind_en.jsonl": "intake",
    "intake_letters.jsonl": "intake",
    "intake_languages.jsonl": "intake",
    "intake_people_dev.jsonl": "intake",
}


def fold(text: str) -> str:
    return " ".join(text.split()).lower()


def text_key(text: str) -> str:
    """A question or message with case, white space and punctuation folded: "Cookies?" repeats "cookies"."""
    return " ".join(re.findall(r"\w+", text.lower())) or fold(text)  # "🙂🙂🙂" has no word


def kind_of(path: Path) -> str:
    if path.name in DATASET_KINDS:
        return DATASET_KINDS[path.name]
    return "history" if "history" in path.name else "intake" if "intake" in path.name else "qa"


def training_texts() -> set[str]:
    """The texts of every training file: classifier examples ("text") and question banks ("question")."""
    texts = (r.get("text", r.get("question")) for f in TRAINING_FILES for r in read_jsonl(f))
    return {text_key(t) for t in texts if isinstance(t, str)}


def validate(path: Path, training: set[str] | None = None, corpus_dir: Path | None = None) -> list[str]:
    """The problems of one dataset file, each naming the row; empty when it is clean."""
    kind = kind_of(path)
    try:
        rows = read_jsonl(path)
    except PrivacyAssistantError as exc:
        return [str(exc)]
    training = training_texts() if training is None else training
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_text: dict[str, int] = {}
    text_field = "message" if kind == "intake" else "question"
    corpora: dict[Path, Corpus] = {}

    def corpus(folder: Path) -> Corpus:
        if folder not in corpora:
            corpora[folder] = Corpus.load(folder)
        return corpora[folder]

    for number, row in enumerate(rows, start=1):
        where = f"{path.name}:{number} ({row.get('id', 'no id')})"
        report: Callable[[str], None] = lambda message, where=where: problems.append(f"{where}: {message}")  # noqa: E731
        schema = SCHEMAS[kind]
        for name in REQUIRED[kind]:
            if name not in row:
                report(f"lacks {name!r}")
        for name, value in row.items():
            if name not in schema:
                report(f"unknown field {name!r}")
            elif not isinstance(value, schema[name]):
                report(f"{name!r} must be {' or '.join(t.__name__ for t in schema[name])}")
        if any(p.startswith(where) for p in problems):
            continue
        if row["id"] in seen_ids:
            report(f"duplicate id (also line {seen_ids[row['id']]})")
        seen_ids.setdefault(row["id"], number)
        text = text_key(row[text_field])
        if text in seen_text:
            report(f"duplicate {text_field} (also line {seen_text[text]})")
        seen_text.setdefault(text, number)
        if text in training:
            report(
                f"the {text_field} appears verbatim in training data ({', '.join(f.name for f in TRAINING_FILES)})"
            )
        if kind == "intake":
            wrong = [r for r in row["rights"] if r not in RIGHTS]
            if wrong or (not row["is_request"] and row["rights"]):
                # A request may name no right yet ("I want to make a privacy request"); a non-request none.
                report(
                    f"rights {row['rights']} must be a subset of {list(RIGHTS)}, and empty for a non-request"
                )
            if row.get("on_behalf_of") not in (None, *ON_BEHALF_OF):
                report(f"on_behalf_of must be one of {list(ON_BEHALF_OF)}")
            continue
        if not all(isinstance(e, str) and e.strip() for e in row["evidence"]):
            report("evidence must be non-empty strings")
            continue
        if kind == "qa":
            if row["answerable"] and not row["evidence"]:
                report("an answerable question needs gold evidence")
            folder = corpus_dir or PROJECT_ROOT / "corpus"
            day = date.fromisoformat(row["as_of"]) if row.get("as_of") else date.today()
            version = corpus(folder).in_force(row.get("document") or corpus(folder).sole_document or "", day)
            versions = [version] if version else []
        else:
            folder = PROJECT_ROOT / row["corpus"]
            try:
                versions = [
                    corpus(folder).get(row.get("document") or corpus(folder).sole_document or "", v)
                    for v in row["versions"]
                ]
            except PrivacyAssistantError as exc:
                report(str(exc))
                continue
        texts = [fold(parse_policy(v).text) for v in versions]
        for evidence in row["evidence"]:
            if not any(fold(evidence) in t for t in texts):
                cited = ", ".join(v.version for v in versions) or "none in force"
                report(f"evidence {evidence[:60]!r} does not occur in the cited version ({cited})")
    return problems


def validate_all(folder: Path = DATASETS) -> dict[Path, list[str]]:
    """Every dataset in ``folder``, plus leaks between the QA dev and test splits."""
    training = training_texts()
    files = sorted(folder.glob("*.jsonl"))
    results = {path: validate(path, training) for path in files}
    for bank in QUESTION_BANKS:
        results[bank] = validate_bank(bank)
    if folder == DATASETS:
        from evals.policies import validate_policy_sets

        results.update(validate_policy_sets(training=training))
    dev, test = folder / "policy_qa_dev.jsonl", folder / "policy_qa.jsonl"
    if dev.exists() and test.exists():
        dev_questions = {
            text_key(r["question"]) for r in read_jsonl(dev) if isinstance(r.get("question"), str)
        }
        for r in read_jsonl(test):
            if isinstance(r.get("question"), str) and text_key(r["question"]) in dev_questions:
                results[test].append(f"{test.name} ({r.get('id')}): the question is also in the dev split")
    return results


def validate_bank(path: Path, today: date | None = None) -> list[str]:
    """The problems of a question bank (``corpus/<document>/questions.jsonl``): malformed lines, and
    evidence the version in force does not hold (a bank votes for the units of the version asked;
    evidence only an old version holds is stale)."""
    document = path.parent.name
    try:
        examples = read_examples(path)
        corpus = Corpus.load(path.parent.parent)
        version = corpus.in_force(document, today or date.today()) or corpus.versions(document)[-1]
    except PrivacyAssistantError as exc:
        return [str(exc)]
    text = fold(parse_policy(version).text)
    return [
        f"{document}/{path.name}: evidence {evidence[:60]!r} of {example.question!r} is not in {document} "
        f"{version.version}, the version in force"
        for example in examples
        for evidence in example.evidence
        if fold(evidence) not in text
    ]


def format_validation(results: dict[Path, list[str]]) -> str:
    lines = []
    for path, problems in results.items():
        name = f"{path.parent.name}/{path.name}" if path.name == BANK else path.name
        lines.append(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        lines += [f"  {p}" for p in problems]
    return "\n".join(lines)
