"""The Slack user who acts as a team member in Slack, with the member's role and name.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_members") as table:
        table.add_column(sa.Column("slack_user", sa.String(32)))
        table.create_unique_constraint("uq_team_members_slack_user", ["slack_user"])


def downgrade() -> None:
    with op.batch_alter_table("team_members") as table:
        table.drop_constraint("uq_team_members_slack_user", type_="unique")
        table.drop_column("slack_user")
