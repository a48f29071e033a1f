"""The blind index of who made each request (lookup.py), and the link to an open request the same person
made before (a possible duplicate).

The index of the requests made before this revision is built here, once; that takes the encryption key,
which ``RequestQueue`` hands to ``migrate``.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import context, op

from assistant.exceptions import ConfigurationError

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_terms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("rights_requests.id"), nullable=False, index=True),
        sa.Column("digest", sa.String(64), nullable=False, index=True),
        sa.UniqueConstraint("request_id", "digest"),
    )
    op.add_column("rights_requests", sa.Column("duplicate_of", sa.String(20)))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, name_enc, email_enc, subject_name_enc, subject_email_enc FROM rights_requests "
            "WHERE identity_purged_at IS NULL"
        )
    ).all()
    if not rows:
        return
    vault = context.config.attributes.get("vault")
    if vault is None:
        raise ConfigurationError("indexing the requests made so far needs the encryption key")
    from assistant.requests.lookup import BlindIndex

    index = BlindIndex(vault)
    terms = sa.table("identity_terms", sa.column("request_id", sa.Integer), sa.column("digest", sa.String))
    for row in rows:
        decrypt = vault.decrypt
        digests = index.terms_of(
            decrypt(row.name_enc),
            decrypt(row.email_enc),
            decrypt(row.subject_name_enc),
            decrypt(row.subject_email_enc),
        )
        if digests:
            op.bulk_insert(terms, [{"request_id": row.id, "digest": d} for d in sorted(digests)])


def downgrade() -> None:
    op.drop_column("rights_requests", "duplicate_of")
    op.drop_table("identity_terms")
