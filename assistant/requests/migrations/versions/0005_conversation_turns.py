"""Conversation turns one at a time: the running turn's token and when its hold lapses.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from assistant.requests.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("turn_token", sa.String(128), nullable=True))
    op.add_column("conversations", sa.Column("turn_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("conversations", "turn_until")
    op.drop_column("conversations", "turn_token")
