"""The outbox worker gives a message up after its last attempt: ``dead_at`` says when.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from assistant.requests.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("dead_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("dead_at")
