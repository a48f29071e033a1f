"""Answers given and the votes on them, without personal data; and what an assistant's message showed
besides its text, so a reloaded widget draws the conversation again.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from assistant.requests.models import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answers_given",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("answer_id", sa.String(32), nullable=False, unique=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answerable", sa.Boolean, nullable=False),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("given_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("vote", sa.String(8)),
        sa.Column("reason", sa.Text),
        sa.Column("voted_at", UTCDateTime()),
    )
    op.add_column("transcript_messages", sa.Column("detail_enc", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transcript_messages") as table:
        table.drop_column("detail_enc")
    op.drop_table("answers_given")
