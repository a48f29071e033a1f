"""Which rights a message asks for, if any: logistic regression over MiniLM embeddings plus rules.

The features are the MiniLM sentence embedding, a few speech-act features, one cue feature per right,
character n-grams, which keep typos and text-speak readable, and word n-grams, which keep word order
(both TF-IDF, fitted on the training file).

Trained from ``training/*.jsonl`` (shipped with the code, never the eval set) in a few seconds at its
first use on a machine, and stored in the machine's cache folder by the digest of all it depends on;
later processes read it back. Two decisions are made:

1. Is this a request at all? Questions about rights ("how do I delete my data?") sit close to
   requests in embedding space, so the embedding is joined by a few speech-act features (is it a
   question, a polite imperative, a first-person demand) and the rules decide the clear cases, those
   of a chat message only when the model does not all but rule them out (``rule_floor``).
2. Which rights? One-vs-rest logistic regression per right, joined with the rules' clear cues.

Labelling guide, shared by the training file and the eval set: "stop marketing" is
``marketing_opt_out``; an explicit objection to direct marketing adds ``objection``; withdrawing
consent to marketing is ``withdraw_consent`` and ``marketing_opt_out``; prompt-injection attempts
and questions about rights are not requests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from assistant.exceptions import ConfigurationError
from assistant.intake.cues import (
    CODE,
    DATA_WORDS,
    MENTION,
    TERSE,
    asked_cues,
    asking_sentences,
    asks_right_for_self,
    cue_features,
    cued_apart,
    disclaims_request,
    is_injection,
    is_letter,
    looks_like_request,
    refused_rights,
    request_like,
    right_cues,
    speech_act_features,
)
from assistant.intake.fields import find_on_behalf_of
from assistant.intake.languages import VOCABULARIES, Languages
from assistant.intake.rights import RIGHTS
from assistant.retrieval.embeddings import MODEL_NAME, LocalEmbeddings

log = logging.getLogger(__name__)

# The labelled messages the classifier learns from, one file per language (training/en.jsonl, ...).
TRAINING_DIR = Path(__file__).resolve().parent / "training"
# The thresholds fitted by cross-validation, with their provenance: ``python -m evals.intake_cv --write``.
THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"
# MiniLM reads 256 word pieces, some 1,000 characters of English: a longer message is read in passages.
PASSAGE_CHARS = 900

# Rights a request gets only when its writer names them: an erasure or an objection nobody asked for
# cannot be undone ("unsubscribe me" never becomes "delete me").
_NAMED_ONLY = ("erasure", "objection")


@dataclass(frozen=True)
class Classification:
    is_request: bool
    rights: list[str]
    request_probability: float
    right_probabilities: dict[str, float]
    # Not a request by the model, yet it looks like one (cites the law, is a letter, asks something of
    # the writer's data) and the model is not sure: the chat asks which right, or a person classifies it.
    uncertain: bool = False

    @property
    def taken(self) -> bool:
        """Taken up as a request, or asked about as one (uncertain): never answered as a policy question."""
        return self.is_request or self.uncertain


def passages(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """``text`` cut at sentence ends into pieces of about ``size`` characters (one piece when short)."""
    if len(text) <= size:
        return [text]
    pieces: list[str] = []
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n+", text):
        if pieces and len(pieces[-1]) + len(sentence) < size:
            pieces[-1] = f"{pieces[-1]} {sentence}"
        elif sentence.strip():
            pieces.append(sentence)
    return pieces or [text]


def whole_text_vectors(texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """One unit vector per text that reads all of it: a letter longer than the model's window is the
    mean of its passages' vectors, where the model alone would see only its first page."""
    pieces = [passages(t) for t in texts]
    flat = encode([p for group in pieces for p in group])
    rows, start = [], 0
    for group in pieces:
        mean = flat[start : start + len(group)].mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        start += len(group)
    return np.vstack(rows).astype(np.float32) if rows else flat


def in_english(messages: list[str]) -> list[str]:
    """Each message as the English the rules and the model read (itself when it is English)."""
    languages = Languages.load()
    return [languages.render(m) for m in messages]


def model_view(text: str) -> str:
    """What the models read of a message: a letter's asking sentences (its subject line among them),
    not the pages around them that introduce the writer, quote the law or reserve other rights; a
    chat message whole."""
    asking = asking_sentences(text) if is_letter(text) else []
    return "\n".join(asking) if asking else text


class RightsClassifier:
    """Fitted on the labelled training file; ``classify`` answers for one message."""

    # Chosen by 5-fold cross-validation on the training file (never on an eval set): see evals/intake_cv.py.
    request_threshold = 0.5  # the model's is-a-request probability, when no rule decides
    model_threshold = 0.5  # a right the model alone is this sure of
    cue_threshold = 0.05  # a right a clear cue names, unless the model all but rules it out
    top_threshold = 0.2  # a request with no right above: its likeliest right, if at least this likely

    def __init__(
        self, embeddings: LocalEmbeddings, rows: list[dict], features: np.ndarray | None = None
    ) -> None:
        self.embeddings = embeddings
        self.overrides: dict[str, float] = {}
        dense = self.features([r["text"] for r in rows], shipped=True) if features is None else features
        english = in_english([r["text"] for r in rows])
        texts = [model_view(t) for t in english]
        # Character n-grams read what the sentence embedding blurs: typos ("delte", "unsubscrib")
        # and text-speak. Fitted on the training file only, like the models.
        self.ngrams = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, lowercase=True
        ).fit(texts)
        # Word n-grams read the order the mean embedding loses: "I was going to ask you to delete",
        # "don't remove me from", "last year I withdrew".
        self.words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 3),
            min_df=2,
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w[\w']*\b",
        ).fit(texts)
        x = self._join(texts, dense)
        is_request = np.array([bool(r["request"]) for r in rows])
        self.request_model = _logistic().fit(x, is_request)
        # Letters get a request model of their own: among chat messages a letter's formality and its
        # legal words all but make it a request, so a supplier's notice or a newsletter would be one.
        letters = np.array([is_letter(t) for t in english])
        self.letter_model = (
            _logistic().fit(dense[letters], is_request[letters])
            if len(set(is_request[letters])) == 2
            else None
        )
        labels = [set(r["rights"]) for r in rows if r["request"]]
        x_requests = x[np.flatnonzero(is_request)]
        # A right the training file never labels has no model: only its cues can name it.
        self.right_models = {
            right: _logistic().fit(x_requests, y)
            for right in RIGHTS
            if 0 < (y := np.array([right in lab for lab in labels])).sum() < len(labels)
        }

    def threshold(self, name: str) -> float:
        """A threshold fitted by cross-validation of the training files (``THRESHOLDS``, written by
        evals/intake_cv.py), unless this reader was given another, to fit it (``overrides``):

        - ``rule_floor``: a chat message the rules take for a clear request is one only if the model gives
          it at least this is-a-request probability ("please delete the test project from our workspace"
          names a right and asks, but is no request);
        - ``triage_threshold``: a request-like message the model gives at least this (but less than
          ``request_threshold``) is uncertain."""
        return self.overrides.get(name, fitted_thresholds()[name])

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "embeddings"}  # stored without the model

    def features(self, messages: list[str], shipped: bool = False) -> np.ndarray:
        """MiniLM embedding joined with the speech-act and cue features of each message's English;
        ``shipped`` texts (the training files) are embedded through the machine's cache."""
        texts = [model_view(t) for t in in_english(messages)]
        encode = self.embeddings.encode_shipped if shipped else self.embeddings.encode
        vectors = whole_text_vectors(texts, encode)
        acts = np.stack([speech_act_features(t) for t in texts])
        return np.hstack([vectors, acts, np.stack([cue_features(t) for t in texts])])

    def _join(self, texts: list[str], dense: np.ndarray):
        return sparse.hstack(
            [sparse.csr_matrix(dense), self.ngrams.transform(texts), self.words.transform(texts)]
        ).tocsr()

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, messages: list[str], features: np.ndarray | None = None) -> list[Classification]:
        """The verdict on each message, read in English (``languages.py``) whatever it is written in."""
        texts = in_english(messages)
        x = self._join(
            [model_view(t) for t in texts], self.features(messages) if features is None else features
        )
        request_p = self.request_model.predict_proba(x)[:, 1]
        letters = np.flatnonzero([is_letter(t) for t in texts])
        if self.letter_model is not None and len(letters):
            dense = x[letters, : self.letter_model.n_features_in_].toarray()
            request_p[letters] = self.letter_model.predict_proba(dense)[:, 1]
        right_p = {r: m.predict_proba(x)[:, 1] for r, m in self.right_models.items()}
        right_p.update({r: np.zeros(len(texts)) for r in RIGHTS if r not in right_p})
        return [
            self.decide(text, float(request_p[i]), {r: float(right_p[r][i]) for r in RIGHTS})
            for i, text in enumerate(texts)
        ]

    def decide(self, text: str, request_p: float, right_p: dict[str, float]) -> Classification:
        """The verdict on ``text`` (its English) from the models' probabilities, the rules and the thresholds."""
        # A letter quotes the law ("within the meaning of § 1798.140(e)", "the 'right to delete'"),
        # names rights it does not exercise ("I reserve my right to complain") and thanks its reader:
        # its asks are in the sentences that ask, and what vetoes a chat message does not veto it.
        letter = is_letter(text)
        cues = asked_cues(text) if letter else right_cues(text)
        info_question, _, polite, demand, imperative, *_rest, thanks = (
            bool(v) for v in speech_act_features(text)
        )
        # An attack, code, a quoted right, thanks, a writer saying they ask nothing, or nothing about
        # data: never a request, however sure the model is.
        aside = bool(
            is_injection(text)
            or disclaims_request(text)
            or CODE.search(text)
            or (MENTION.search(text) and not letter and find_on_behalf_of(text) != "employee_forwarding")
            or (thanks and not letter)
            or (not cues and not DATA_WORDS.search(text))
        )
        # Rights named only to be refused ("please don't delete my account, I still use it").
        refusal = not cues and bool(refused_rights(text)) and not letter
        if aside or refusal:
            is_request = False  # clear
        elif (
            cues
            and (demand or imperative or polite or TERSE.fullmatch(text))
            and not info_question
            and (asks_right_for_self(text) if letter else request_p >= self.threshold("rule_floor"))
        ):
            # Clear: asks us to do something a right covers ("erasure request."), in a letter of the
            # writer's own data (a supplier asking how we handle erasure requests asks nothing of it),
            # in a chat message unless the model all but rules a request out (the rules read words,
            # not whose project "delete the test project" is about).
            is_request = True
        elif info_question and not letter:
            is_request = False  # clear: asks how something works ("how do I delete my data?")
        else:
            # A letter citing the law, or a demand about the writer's data, is a request even when
            # the model cannot tell which right: a person then reads it (triage), it is never lost.
            is_request = request_p >= self.request_threshold or looks_like_request(
                text, demand or imperative or polite
            )
        # Taken for no request, yet request-like and the model leans to one (against the rules' "no",
        # or just under its own threshold): nobody can be sure, so it is asked, not answered.
        uncertain = (
            not (is_request or aside or refusal)
            and request_p >= self.threshold("triage_threshold")
            and request_like(text)
        )
        rights: list[str] = []
        if is_request:
            refused = refused_rights(text)
            # Named rights count unless the model all but rules them out; the model adds those it is sure of.
            rights = [
                r
                for r in RIGHTS
                if (r in cues and (right_p[r] >= self.cue_threshold or r not in self.right_models))
                or (r not in refused and right_p[r] >= self.model_threshold)
            ]
            if cues:
                # Beside what the writer named, the model never adds a right that cannot be undone; a
                # letter spells out all it asks.
                rights = [r for r in rights if r in cues or (r not in _NAMED_ONLY and not letter)]
            if (
                "portability" in rights
                and "access" in rights
                and not cued_apart("access", "portability", text)
            ):
                rights.remove("access")  # "my data as CSV for my new provider" is one ask, a portable copy
            if not rights:
                likeliest = max((r for r in RIGHTS if r not in refused), key=right_p.get)
                if right_p[likeliest] >= self.top_threshold:
                    rights = [likeliest]
        return Classification(is_request, rights, request_p, right_p, uncertain)


@lru_cache(maxsize=1)
def fitted_thresholds() -> dict:
    """The thresholds fitted by cross-validation and their provenance (``THRESHOLDS``)."""
    try:
        fit = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
        for name in ("rule_floor", "triage_threshold"):
            float(fit[name])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(
            f"{THRESHOLDS}: no fitted thresholds ({error}); fit them with `python -m evals.intake_cv --write`"
        ) from None
    return fit


def _logistic() -> LogisticRegression:
    # C by the 5-fold cross-validation of the training files (evals/intake_cv.py): of 1, 4, 16 and 64, 16
    # has one held-out error more than 64 and a lower false-request rate, and keeps a triage band (the
    # figures are in the README, "Intake").
    return LogisticRegression(C=16.0, max_iter=2000, class_weight="balanced")


_cache: dict[tuple[tuple[tuple[str, float], ...], str], RightsClassifier] = {}
_cache_lock = threading.Lock()


def training_files(folder: Path = TRAINING_DIR) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def read_training(folder: Path = TRAINING_DIR) -> list[dict]:
    return [
        json.loads(line)
        for path in training_files(folder)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def get_classifier(embeddings: LocalEmbeddings, folder: Path = TRAINING_DIR) -> RightsClassifier:
    """The classifier fitted on ``folder``'s files, trained once per process (again only if one changes)
    and once per machine: a fit is stored in the cache folder under the digest of all it depends on."""
    key = (tuple((str(p), p.stat().st_mtime) for p in training_files(folder)), embeddings.device)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = load_or_fit(embeddings, folder)
        return _cache[key]


def fit_digest(folder: Path = TRAINING_DIR, device: str = "cpu") -> str:
    """The digest of what a fit depends on: the training files, the vocabularies that render them in
    English, this package's code, the embedding model and the versions of the libraries that fit it."""
    digest = hashlib.sha256(f"{MODEL_NAME}\0{device}\0{sklearn.__version__}\0{np.__version__}".encode())
    code = sorted(Path(__file__).resolve().parent.glob("*.py"))
    for path in [*training_files(folder), *sorted(VOCABULARIES.glob("*.yaml")), *code]:
        digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def load_or_fit(embeddings: LocalEmbeddings, folder: Path = TRAINING_DIR) -> RightsClassifier:
    """The fit stored for ``folder``'s digest in the cache folder (the machine's own, beside its vectors),
    or a new fit, stored there for the next process."""
    cache_path = embeddings.cache.path if embeddings.cache else None
    if cache_path is None:
        return RightsClassifier(embeddings, read_training(folder))
    path = cache_path.parent / f"request_reader-{fit_digest(folder, embeddings.device)[:32]}.pickle"
    try:
        # The cache folder is the user's own, as the vector cache beside it: whoever can write there can
        # already run code as this user.
        classifier = pickle.loads(path.read_bytes())
        classifier.embeddings = embeddings
        return classifier
    except FileNotFoundError:
        pass
    except Exception as error:  # damaged or from another library build: fit again, as if absent
        log.warning("the stored request reader %s is unusable (%s); fitting it again", path, error)
    classifier = RightsClassifier(embeddings, read_training(folder))
    try:
        # Written whole or not at all: a process reading at the same time never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".request_reader-", delete=False) as out:
            out.write(pickle.dumps(classifier))
        try:
            os.replace(out.name, path)
        finally:
            Path(out.name).unlink(missing_ok=True)  # gone once replaced; never left behind half-done
    except OSError as error:
        log.warning("could not store the request reader in %s (%s); it is fitted at each start", path, error)
    return classifier
