"""Finding a person's requests through the blind index, on SQLite and PostgreSQL: by address, name or
reference, with nothing stored in clear; a new request from someone with an open one is flagged and
linked as a possible duplicate; and the retention period's erasure leaves nothing to find them by."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from assistant import RequestDraft
from assistant.requests.audit import verify_audit
from assistant.requests.conversations import ConversationStore
from assistant.requests.retention import purge
from tests.requests_support import NOW, draft


def refs(found) -> list[str]:
    return [r.reference for r in found]


def test_search_by_address_name_or_reference_and_nothing_in_clear(queue):
    jo = queue.submit(draft(name="José Álvarez-Núñez", email="Jose@Example.com"), "a", now=NOW).request
    parent = queue.submit(
        draft(name="Mia Lind", email="mia@example.com", on_behalf_of="parent_guardian",
              subject_name="Leo Lind", subject_email="leo@example.com"),
        "b", now=NOW,
    ).request  # fmt: skip
    assert refs(queue.search("jose@example.COM")) == [jo.reference]
    assert refs(queue.search("  jose   alvarez-nunez ")) == [jo.reference]  # case, accents, spacing
    assert refs(queue.search("Álvarez-Núñez")) == [jo.reference]
    assert refs(queue.search("leo@example.com")) == refs(queue.search("Lind")) == [parent.reference]
    assert refs(queue.search("leo lind")) == [parent.reference] and queue.search("leo jose") == []
    assert refs(queue.search(jo.reference.lower())) == [jo.reference]
    assert queue.search("nobody@example.com") == []
    with queue.engine.connect() as connection:
        stored = " ".join(connection.execute(text("SELECT digest FROM identity_terms")).scalars())
    for secret in ("jose", "example", "lind", "leo", "mia"):
        assert secret not in stored.lower()


def test_a_new_request_from_someone_with_an_open_one_is_linked_as_a_possible_duplicate(queue):
    first = queue.submit(draft(email="jo@example.com"), "first", now=NOW).request
    again = queue.submit(draft(email="JO@example.com", rights=["access"]), "again", now=NOW).request
    assert (first.duplicate_of, again.duplicate_of) == (None, first.reference)
    flagged = queue.events(again.reference)[1]
    assert (flagged.kind, flagged.actor, flagged.detail) == (
        "possible_duplicate",
        "requester",
        {"of": first.reference},
    )
    # A letter with no address: the same whole name is enough to flag it.
    letter = queue.log_received(RequestDraft(rights=["erasure"], name="jo  bloggs"), "post", NOW.date(),
                                actor="ana", now=NOW).request  # fmt: skip
    assert letter.duplicate_of == first.reference
    # Once the earlier requests are closed, a new one is nobody's duplicate.
    for reference in (first.reference, again.reference, letter.reference):
        queue.transition(reference, "withdrawn", actor="ana", now=NOW)
    later = queue.submit(draft(email="jo@example.com"), "later", now=NOW).request
    assert later.duplicate_of is None
    assert verify_audit(queue.engine, queue.vault).ok


def test_after_the_retention_period_nobody_can_find_a_request_by_who_made_it(queue):
    reference = queue.submit(draft(email="gone@example.com"), "k", now=NOW).request.reference
    queue.transition(reference, "withdrawn", actor="ana", now=NOW)
    later = NOW + timedelta(days=queue.settings.closed_request_retention_days + 1)
    assert purge(queue, ConversationStore(queue.storage), now=later).requests_anonymised == (reference,)
    assert queue.search("gone@example.com") == [] and queue.search("Bloggs") == []
    assert refs(queue.search(reference)) == [reference]  # the reference and the trail stay
    with queue.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM identity_terms")).scalar_one() == 0
