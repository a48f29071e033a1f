"""The law each request is answered under, and extensions counted in days for the laws that do.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every earlier request was answered under the GDPR's clock, extended in months.
    op.add_column(
        "rights_requests", sa.Column("jurisdiction", sa.String(16), nullable=False, server_default="gdpr")
    )
    op.add_column(
        "rights_requests", sa.Column("extension_days", sa.Integer, nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("rights_requests", "extension_days")
    op.drop_column("rights_requests", "jurisdiction")
