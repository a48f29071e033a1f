"""The audit chain: each event sealed to the one before it and to the request's state after it.

The trail written before this revision is sealed here, once, in the order it was written; that takes
the encryption key, which ``RequestQueue`` hands to ``migrate``.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import context, op

from assistant.exceptions import ConfigurationError
from assistant.requests.audit import IDENTITY_COLUMNS, STATE_COLUMNS, seal_trail
from assistant.requests.models import UTCDateTime

# The request's columns at this revision: later revisions add columns this one must not read.
_LATER = ("identity_purged_at", "language", "jurisdiction", "extension_days", "duplicate_of")
_COLUMNS_HERE = tuple(c for c in STATE_COLUMNS if c not in _LATER)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_APPEND_ONLY = "the audit trail is append-only"
# The rights_requests columns as revision 0001 made them (the rest are text).
_TYPES = {
    "id": sa.Integer(),
    "rights": sa.JSON(),
    "categories": sa.JSON(),
    "received_at": UTCDateTime(),
    "due_at": sa.Date(),
    "extension_months": sa.Integer(),
    "updated_at": UTCDateTime(),
    "audit_seq": sa.Integer(),
}


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("seq", sa.Integer))
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(64)))
    op.add_column("audit_events", sa.Column("state", sa.JSON))
    op.add_column("audit_events", sa.Column("hash", sa.String(64)))
    op.add_column("rights_requests", sa.Column("audit_seq", sa.Integer))
    op.add_column("rights_requests", sa.Column("audit_head", sa.String(64)))
    # Two changes that both extended the same head would be a fork: the database refuses the second.
    op.create_index("ix_audit_events_chain", "audit_events", ["request_id", "seq"], unique=True)
    _seal_existing_trails()


def _seal_existing_trails() -> None:
    bind = op.get_bind()
    requests = sa.table(
        "rights_requests",
        *(
            sa.column(name, _TYPES.get(name, sa.String()))
            for name in ("id", "reference", *_COLUMNS_HERE, *IDENTITY_COLUMNS, "audit_seq", "audit_head")
        ),
    )
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("request_id", sa.Integer),
        sa.column("at", UTCDateTime()),
        sa.column("kind", sa.String),
        sa.column("actor", sa.String),
        sa.column("detail", sa.JSON),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("state", sa.JSON),
        sa.column("hash", sa.String),
    )
    trail = bind.execute(sa.select(events).order_by(events.c.request_id, events.c.id)).all()
    if not trail:
        return
    vault = context.config.attributes.get("vault")
    if vault is None:
        raise ConfigurationError(
            "sealing the existing audit trail needs the encryption key; open the queue (RequestQueue) to migrate"
        )
    by_request: dict[int, list] = {}
    for event in trail:
        by_request.setdefault(event.request_id, []).append(event)
    _suspend_append_only(bind)
    for request in bind.execute(sa.select(requests).order_by(requests.c.id)):
        seals = list(seal_trail(vault, request, by_request.get(request.id, [])))
        for seal in seals:
            bind.execute(
                events.update()
                .where(events.c.id == seal["id"])
                .values(seq=seal["seq"], prev_hash=seal["prev_hash"], state=seal["state"], hash=seal["hash"])
            )
        if seals:
            bind.execute(
                requests.update()
                .where(requests.c.id == request.id)
                .values(audit_seq=seals[-1]["seq"], audit_head=seals[-1]["hash"])
            )
    _restore_append_only(bind)


def _suspend_append_only(bind) -> None:
    """Sealing writes the new columns of old events, which the append-only triggers refuse."""
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")


def _restore_append_only(bind) -> None:
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    else:
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
        )


def downgrade() -> None:
    op.drop_index("ix_audit_events_chain", "audit_events")
    for column in ("audit_head", "audit_seq"):
        op.drop_column("rights_requests", column)
    for column in ("hash", "state", "prev_hash", "seq"):
        op.drop_column("audit_events", column)
