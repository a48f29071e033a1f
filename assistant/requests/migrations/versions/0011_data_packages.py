"""Data packages for access and portability requests, and the requester's download links.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from assistant.requests.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_packages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("rights_requests.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_enc", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("purged_at", UTCDateTime()),
    )
    op.create_table(
        "download_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("package_id", sa.Integer, sa.ForeignKey("data_packages.id"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("code_hash", sa.String(64)),
        sa.Column("codes_sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("code_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("download_links")
    op.drop_table("data_packages")
