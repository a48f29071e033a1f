"""Alembic environment: migrations run on the connection ``RequestQueue`` opens, never from an ini file."""

from alembic import context
from sqlalchemy import text

from assistant.requests.models import Base

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    # Several processes may open the queue at once; only one migrates, the others wait for it.
    connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
