"""The visitor vocabulary: the shared table, and a policy's own words from its pack."""

from __future__ import annotations

from assistant import Assistant
from assistant.retrieval.scope import query_text
from assistant.retrieval.vocabulary import VISITOR_TERMS, expand
from tests.conftest import SEED_DOCUMENT


def test_a_policys_own_words_win_over_the_shared_ones():
    assert expand("Who is your DPO?") == VISITOR_TERMS["dpo"]
    assert expand("Who is your DPO?", (("dpo", "data privacy manager"),)) == "data privacy manager"
    # Entries the pack does not name stay the shared ones.
    assert expand("delete my data", (("dpo", "data privacy manager"),)) == VISITOR_TERMS["delete"]


def test_the_shipped_pack_gives_numecents_words_to_questions_about_numecent(assistant: Assistant):
    versions = assistant.retriever.versions_for(SEED_DOCUMENT)
    own = assistant.corpus.vocabulary_of(versions)
    assert dict(own)["dpo"] == "data privacy manager"
    assert "data privacy manager" in query_text("Who is your DPO?", None, own)
    assert "data privacy manager" not in query_text("Who is your DPO?")  # another policy: shared words only
    [best, *_] = assistant.retriever.search("Who is your DPO?", versions, precedents=False)
    assert "data privacy manager" in best.unit.text.lower()
