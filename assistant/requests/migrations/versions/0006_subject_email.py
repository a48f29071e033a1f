"""The data subject's e-mail address, apart from the requester's (a parent's and a child's, say).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rights_requests", sa.Column("subject_email_enc", sa.Text))


def downgrade() -> None:
    op.drop_column("rights_requests", "subject_email_enc")
