"""Finding requests by who made them without storing identity in clear: a keyed blind index.

Beside the encrypted identity columns, each request has index terms (``identity_terms``): keyed
hashes (HMAC-SHA256, a key derived from the encryption key) of its requester's and data subject's
e-mail addresses, and of the words of their names and the whole name, normalised (case, accents,
spacing). A search hashes what the team typed the same way and looks the hashes up, so the database
holds nothing a reader could reverse without the key; but equal values have equal hashes, which is what
lets a new request from someone with an open request be flagged as a possible duplicate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from assistant.requests.crypto import Vault
from assistant.requests.models import IdentityTerm, RequestRecord

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _fold(text: str) -> str:
    """Lower case, accents off, spaces collapsed: "  José  ÁLVAREZ " -> "jose alvarez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def email_term(address: str) -> str:
    return "email:" + address.strip().lower()


def name_terms(name: str) -> list[str]:
    """The whole name and each of its words (so "Bloggs" finds "Jo Bloggs")."""
    folded = _fold(name)
    words = _WORD.findall(folded)
    return [f"name:{folded}", *(f"word:{w}" for w in dict.fromkeys(words))] if words else []


def query_terms(text: str) -> list[str]:
    """What a search for ``text`` must all match: an address, else every word of a name."""
    text = " ".join((text or "").split())
    if "@" in text:
        return [email_term(text)]
    return [f"word:{w}" for w in dict.fromkeys(_WORD.findall(_fold(text)))]


class BlindIndex:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def digest(self, term: str) -> str:
        # The vault's keyed hash, in a domain of its own: no term hashes like a code or a token.
        return self.vault.digest("privacy-assistant/blind-index\n" + term)

    def terms_of(
        self, name: str | None, email: str | None, subject_name: str | None, subject_email: str | None
    ) -> set[str]:
        terms = [email_term(a) for a in (email, subject_email) if a]
        for who in (name, subject_name):
            terms += name_terms(who) if who else []
        return {self.digest(t) for t in terms}

    @staticmethod
    def write(session: Session, record: RequestRecord, terms: Iterable[str]) -> None:
        """Replace ``record``'s index terms with ``terms`` (digests)."""
        BlindIndex.forget(session, record)
        session.add_all(IdentityTerm(request_id=record.id, digest=d) for d in sorted(set(terms)))

    @staticmethod
    def forget(session: Session, record: RequestRecord) -> None:
        """Drop ``record``'s index terms: its identity is gone, so nothing may find it by who made it."""
        session.execute(delete(IdentityTerm).where(IdentityTerm.request_id == record.id))

    @staticmethod
    def matching(digests: list[str]) -> Select[tuple[int]]:
        """The ids of requests that hold every one of ``digests``."""
        return (
            select(IdentityTerm.request_id)
            .where(IdentityTerm.digest.in_(digests))
            .group_by(IdentityTerm.request_id)
            .having(func.count(func.distinct(IdentityTerm.digest)) == len(set(digests)))
        )
