"""Retention: when a closed request's identity was erased.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from assistant.requests.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, done in place on SQLite too. email_enc stays NOT NULL (an erased identity
    # keeps the ciphertext of "" there): loosening it would make SQLite rebuild the table the audit
    # trail points at.
    op.add_column("rights_requests", sa.Column("identity_purged_at", UTCDateTime()))


def downgrade() -> None:
    op.drop_column("rights_requests", "identity_purged_at")
