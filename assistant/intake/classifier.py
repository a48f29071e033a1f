"""Which rights a message asks for, if any: logistic regression over MiniLM embeddings plus rules.

The features are the MiniLM sentence embedding, a few speech-act features, one cue feature per right
and character n-grams (TF-IDF, fitted on the training file), which keep typos and text-speak readable.

Trained at first use from ``training.jsonl`` (shipped with the code, never the eval set) in a few
seconds and kept for the life of the process. Two decisions are made:

1. Is this a request at all? Questions about rights ("how do I delete my data?") sit close to
   requests in embedding space, so the embedding is joined by a few speech-act features (is it a
   question, a polite imperative, a first-person demand) and the rules decide the clear cases.
2. Which rights? One-vs-rest logistic regression per right, joined with the rules' clear cues.

Labelling guide, shared by the training file and the eval set: "stop marketing" is
``marketing_opt_out``; an explicit objection to direct marketing adds ``objection``; withdrawing
consent to marketing is ``withdraw_consent`` and ``marketing_opt_out``; prompt-injection attempts
and questions about rights are not requests.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from assistant.intake.draft import RIGHTS
from assistant.retrieval.embeddings import LocalEmbeddings

TRAINING_FILE = Path(__file__).resolve().parent / "training.jsonl"

_QUESTION_START = re.compile(
    r"^\s*(how|what|what's|whats|when|where|why|which|who|whom|is|are|does|do i|do you|can i|could i|may i|"
    r"am i|will|would i|should|is it|if i|does the|did|have i|has|wat)\b",
    re.IGNORECASE,
)
_POLITE_IMPERATIVE = re.compile(
    r"\b(can you|could you|would you|will you|can u|could u|would u|please|pls|plz|plese|kindly)\b", re.I
)
_DEMAND = re.compile(
    r"\b(i want|i wanna|i would like|i'd like|i wish|i request|i hereby|i demand|i need you to|i need|"
    r"i am writing|i'm writing|i write|we request|i withdraw|i revoke|i object|i take back|i'm withdrawing|"
    r"i am withdrawing|requesting|i no longer|i don'?t want|i do not want|i do not agree|i contest|"
    r"(wants?|asked|asking|would like|has asked) (us |me )?to|i'?m done|"
    # Third person, as staff forward a customer's ask: "customer wants her account deleted".
    r"(s?he|they|customer|client|user) (wants|requests|is asking for|asked for|has requested))\b",
    re.IGNORECASE,
)
_IMPERATIVE_START = re.compile(
    r"^\s*(please\s+|pls\s+|plz\s+|kindly\s+)?(delete|delet|deleet|remove|erase|wipe|forget|send|give|show|"
    r"hand|tell me|stop|unsubscribe|unsub|unsubscibe|opt me|take me|correct|fix|update|change|amend|export|"
    r"transfer|move|restrict|pause|freeze|limit|hold|keep|withdraw|revoke|cancel|close|get rid|provide|"
    r"copy|no more|don'?t|dont|cease|suspend|make sure|make it stop|consider|disclose|erse|opt out)\b",
    re.IGNORECASE,
)
_LEGAL = re.compile(r"\b(article \d+|art\. ?\d+|gdpr|subject access|dsar|data protection|pursuant)\b", re.I)
_INJECTION = re.compile(
    r"\b(ignore (all |the |your )?(previous |prior |above )?(instructions|rules|guidelines|policy|prompt)|ignore the above|"
    r"(the )?(last|previous|other|another) (person|user|customer|requester)'?s?\b.{0,30}\b(data|e-?mail|address|details)|"
    r"(request|dsar) queue|from the queue|in the queue|"
    r"disregard (all |the )?(prior|previous)|system prompt|initial prompt|developer mode|you are now|"
    r"system override|forget your (guidelines|rules|instructions)|new instructions?|act as the|"
    r"pretend you are|drop table|select \* from|<script|reveal your|repeat after me|as an admin|"
    r"(every|all) (other )?(users?|customers?|requesters?)'?s?\b.{0,40}\b(data|e-?mail|phone|records?))\b|^\s*system\s*:|</system>",
    re.IGNORECASE,
)
# Clear cues for each right; the classifier catches the phrasings these miss.
_RIGHT_CUES = {
    "access": r"\b((send|give|show|provide|hand over|share|email)( me| us)?( with)? (a copy|a list|everything|all|whatever|what)|"
    r"(request|want|need|like|demand) access|(what|whatever)( \w+){0,4} (have|hold|keep|store|stored|collected|got)( \w+)? (on|about) me|copy of (my|all|the|any|what)|subject access|what (data|info\w*|personal \w+) (do )?(you )?(have|hold|keep)|"
    r"(send|give|show|provide|disclose) ((me )?a copy|me (all )?(my|the) (personal )?(data|info\w*|records))|access to (my|the) (personal )?data|"
    r"article 15|art\. ?15|see (my|the|all) (personal )?(data|info\w*))\b",
    "rectification": r"\b(correct|rectif\w*|misspel\w*|spelt wrong|spelled wrong|is wrong|are wrong|incorrect\w*|inaccurate|"
    r"out of date|outdated|update my|amend|fix (my|it|the)|article 16)\b",
    "erasure": r"\b(delet\w*|deleet\w*|delte\w*|eras\w*|erse|wip(e|ed|ing)|forget me|forgotten|get rid of|destroy\w*|"
    r"article 17|art\. ?17|remov\w* (me|my|all|every)(?![^.]{0,40}\b(lists?|newsletters?|mailing)\b))\b",
    "objection": r"\b(i (formally )?object|object to|objection|article 21|art\. ?21|stop (profiling|tracking|analysing|analyzing)|"
    r"legitimate interests?|(stop|cease) (using|processing)[^.]{0,40}\b(for|to)\b)",
    "restriction": r"\b(restrict\w*|article 18|art\. ?18|pause (all )?(using|processing|the processing)|freeze my|"
    r"suspend (the )?processing|limit (what|the processing|processing)|(keep|hold) (my|the) (data|records|information)[^.]{0,40}\b(but|don'?t|do not|stop)|"
    r"(stop|cease) (using|processing)[^.]{0,40}\b(until|for now|while)\b)",
    "portability": r"\b(portab\w*|machine[- ]readable|article 20|art\. ?20|as (csv|json)|in (csv|json)|to (my )?(new|another|a different) "
    r"(provider|company|service|controller|vendor)|transfer my (personal )?data|export my)\b",
    "withdraw_consent": r"\b(withdraw\w* (my |any |the |all )?(consent|concent)|revoke\w* (my |all |the )?(consent|consents)|"
    r"consent withdrawn|no longer (have my )?consent|withdr\w* (my |any |the |all )?con\w*|don'?t consent|dont consent|"
    r"i take back my permission|revok\w* (my |any |the |all )?con\w*)\b",
    "marketing_opt_out": r"\b(unsubscribe|unsub|unsubscibe|mailing lists?|newsletters?|newsleter|marketing|promo\w*|spam\w*|"
    r"sales (emails|calls|offers)|adverts?|opt (me )?out|take me off|stop (sending|emailing|calling|texting)( me)?)\b",
}
# Source code, queries and log lines name "delete" or "data" without asking anything of us.
_CODE = re.compile(
    r"^\s*(select|delete from|update \w+ set|insert into|drop table|curl|git|rm -\w*|sudo|def|class|import|"
    r"function|const|var|let|\{|\[|<\w+[ >])(\b|\s)|^\s*\d{4}-\d\d-\d\d[ t]\d\d:\d\d|^\s*\[?(info|warn|warning|error|debug)\]?[: ]|"
    r"\b(traceback|exception|stack trace)\b|\b\w+\.\w+\(|\b\w+_\w+\(|\b(get|post|put|patch|delete) /\w",
    re.IGNORECASE,
)
# A few words naming a right, no question: "access request", "unsubscribe", "opt out".
_TERSE = re.compile(r"\s*(\S+\s+){0,3}\S+?[.!]*\s*")
# A right quoted or talked about, not asked for: "translate 'delete my data'", "example sentence: ...".
_MENTION = re.compile(
    r"\b(translate|spell|example sentence|for example:|what does|meaning of|define|summari[sz]e|explain)\b"
    r"|(?<!\w)[\"'‘“][^\"'’”]{0,60}\b(delete|erase|unsubscribe|access)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers)\b", re.IGNORECASE)
_ASKS_IF_ALLOWED = re.compile(
    r"^\s*((how|what|why|when|where)( do| can| should| would| could| will)?|can|could|may|should|do|does|is|are|am) i\b",
    re.IGNORECASE,
)
_INFO_REQUEST = re.compile(
    r"\b(can|could|would) you (please )?(explain|tell me (how|what|whether|if|why|where|which)|clarify|describe|summari[sz]e)\b"
    r"|^\s*(please )?(tell me (about|more)|explain|describe|summari[sz]e)\b"
    # Hypotheticals ask what would happen, not for it to happen.
    r"|\b(if i (asked|ask|wanted|want|were|requested|request|decide|made|make)|hypothetically|what if|suppose|"
    r"would i (need|have)|i'?m (thinking|considering|wondering))\b",
    re.IGNORECASE,
)
# "don't delete", "do not want my data deleted": a negation up to three words before, in the same clause.
_NEGATED = re.compile(r"\b(don'?t|do not|dont|not|never|without|no need to)\s+(\w+\s+)?$", re.IGNORECASE)
_CLAUSE = re.compile(r"[.!?;,:\n]+|\s+(?:and|but|then)\s+", re.IGNORECASE)
_DATA_WORDS = re.compile(
    r"\b(my|data|info|information|details|account|records?|profile|consent|concent|marketing|newsletters?|emails?|"
    r"mailing|privacy|gdpr|request|spam|unsub\w*|processing|forgotten|personal|address|number|name|birthday|"
    r"date of birth|history|ads|profiling|cookies|texts|calls)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Classification:
    is_request: bool
    rights: list[str]
    request_probability: float
    right_probabilities: dict[str, float]


def speech_act_features(text: str) -> np.ndarray:
    """Features the embedding blurs: question or demand, polite imperative, legal wording."""
    stripped = text.strip()
    clauses = [c for c in _CLAUSE.split(stripped) if c.strip()]
    demand = bool(_DEMAND.search(stripped))
    imperative = any(_IMPERATIVE_START.match(c) for c in clauses)
    polite = bool(_POLITE_IMPERATIVE.search(stripped)) and not _INFO_REQUEST.search(stripped)
    question_start = bool(_QUESTION_START.match(stripped)) or bool(_INFO_REQUEST.search(stripped))
    # "Can I object to profiling?" asks whether, not for: the "I object" in it is no demand.
    info_question = (question_start and not demand and not imperative) or (
        bool(_ASKS_IF_ALLOWED.match(stripped)) and not imperative
    )
    return np.array(
        [
            info_question,
            stripped.endswith("?"),
            polite and not info_question,
            demand,
            imperative,
            bool(_LEGAL.search(stripped)),
            "@" in stripped,
            bool(_THANKS.match(stripped)) and not demand and not imperative,
        ],
        dtype=np.float32,
    )


def cue_features(text: str) -> np.ndarray:
    """Per right: 1 when a clear cue names it, -1 when it is named only to be refused, else 0."""
    return np.array([{True: 1.0, False: -1.0, None: 0.0}[_cue(r, text)] for r in RIGHTS], dtype=np.float32)


def right_cues(text: str) -> list[str]:
    """The rights a message names unmistakably."""
    return [r for r in RIGHTS if _cue(r, text) is True]


def refused_rights(text: str) -> list[str]:
    """Rights a message names only to refuse them: "restrict it, but don't delete it"."""
    return [r for r in RIGHTS if _cue(r, text) is False]


def _cue(right: str, text: str) -> bool | None:
    """True when a cue names ``right``, False when every cue for it is negated, None when none does."""
    seen = None
    for match in re.finditer(_RIGHT_CUES[right], text, re.IGNORECASE):
        before = _CLAUSE.split(text[max(0, match.start() - 40) : match.start()])[-1]
        if not _NEGATED.search(before):
            return True
        seen = False
    return seen


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


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
        texts = [r["text"] for r in rows]
        dense = self.features(texts) if features is None else features
        # Character n-grams read what the sentence embedding blurs: typos ("delte", "unsubscrib")
        # and text-speak. Fitted on the training file only, like the models.
        self.ngrams = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, lowercase=True
        ).fit(texts)
        x = self._join(texts, dense)
        is_request = np.array([bool(r["request"]) for r in rows])
        self.request_model = _logistic().fit(x, is_request)
        labels = [set(r["rights"]) for r in rows if r["request"]]
        x_requests = x[np.flatnonzero(is_request)]
        self.right_models = {
            right: _logistic().fit(x_requests, np.array([right in lab for lab in labels])) for right in RIGHTS
        }

    def features(self, texts: list[str]) -> np.ndarray:
        """MiniLM embedding joined with the speech-act and cue features, one row per text."""
        vectors = self.embeddings.encode(texts)
        acts = np.stack([speech_act_features(t) for t in texts])
        return np.hstack([vectors, acts, np.stack([cue_features(t) for t in texts])])

    def _join(self, texts: list[str], dense: np.ndarray):
        return sparse.hstack([sparse.csr_matrix(dense), self.ngrams.transform(texts)]).tocsr()

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: list[str], features: np.ndarray | None = None) -> list[Classification]:
        x = self._join(texts, self.features(texts) if features is None else features)
        request_p = self.request_model.predict_proba(x)[:, 1]
        right_p = {r: m.predict_proba(x)[:, 1] for r, m in self.right_models.items()}
        return [
            self._decide(text, float(request_p[i]), {r: float(right_p[r][i]) for r in RIGHTS})
            for i, text in enumerate(texts)
        ]

    def _decide(self, text: str, request_p: float, right_p: dict[str, float]) -> Classification:
        cues = right_cues(text)
        info_question, _, polite, demand, imperative, *_rest, thanks = (
            bool(v) for v in speech_act_features(text)
        )
        if (
            is_injection(text)
            or _CODE.search(text)
            or _MENTION.search(text)
            or thanks
            or (not cues and not _DATA_WORDS.search(text))
        ):
            is_request = False  # clear: an attack, code, a quoted right, thanks, or nothing about data
        elif cues and (demand or imperative or polite or _TERSE.fullmatch(text)) and not info_question:
            is_request = True  # clear: asks us to do something a right covers ("erasure request.")
        elif info_question:
            is_request = False  # clear: asks how something works ("how do I delete my data?")
        else:
            is_request = request_p >= self.request_threshold
        rights: list[str] = []
        if is_request:
            refused = refused_rights(text)
            # Named rights count unless the model all but rules them out; the model adds those it is sure of.
            rights = [
                r
                for r in RIGHTS
                if (r in cues and right_p[r] >= self.cue_threshold)
                or (r not in refused and right_p[r] >= self.model_threshold)
            ]
            if not rights:
                likeliest = max((r for r in RIGHTS if r not in refused), key=right_p.get)
                if right_p[likeliest] >= self.top_threshold:
                    rights = [likeliest]
        return Classification(is_request, rights, request_p, right_p)


def _logistic() -> LogisticRegression:
    return LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")


_cache: dict[tuple[str, float, str], RightsClassifier] = {}
_cache_lock = threading.Lock()


def read_training(path: Path = TRAINING_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def get_classifier(embeddings: LocalEmbeddings, path: Path = TRAINING_FILE) -> RightsClassifier:
    """The classifier fitted on ``path``, trained once per process (again only if the file changes)."""
    key = (str(path), path.stat().st_mtime, embeddings.device)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = RightsClassifier(embeddings, read_training(path))
        return _cache[key]
