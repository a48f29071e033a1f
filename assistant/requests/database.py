"""The request database: an engine for SQLite (embedded default) or PostgreSQL, migrated at open."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from assistant.exceptions import ConfigurationError
from assistant.requests.files import create_private, keep_private, private_dir

if TYPE_CHECKING:
    from assistant.requests.crypto import Vault

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(configured: str | None, data_dir: Path) -> str:
    if configured:
        # "postgresql://" means psycopg 3 here, the driver we ship.
        if configured.startswith("postgresql://") or configured.startswith("postgres://"):
            return "postgresql+psycopg://" + configured.split("://", 1)[1]
        return configured
    private_dir(data_dir)
    return f"sqlite:///{data_dir / 'requests.db'}"


def open_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _sqlite_private_files(engine.url.database)
            _sqlite_write_transactions(engine)
        else:
            engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise ConfigurationError(f"PRIVACY_ASSISTANT_DATABASE_URL is not usable: {exc}") from None
    return engine


def _sqlite_private_files(database: str | None) -> None:
    """The database file is made 0600 before SQLite opens it: SQLite gives its -wal and -shm journals
    the database file's mode, so they are private too. Files from before this are tightened."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():  # else SQLite's own error, at migrate, says what is wrong
        create_private(path)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        keep_private(file)


def _sqlite_write_transactions(engine: Engine) -> None:
    """SQLite: every transaction takes the write lock at BEGIN, so concurrent writers wait in turn
    instead of failing with "database is locked" when a read upgrades to a write (SQLAlchemy recipe)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine, vault: Vault | None = None) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already.

    ``vault`` seals an audit trail written before the chain existed (revision 0002).
    """
    try:
        if current_revision(engine) == head_revision():
            return  # the usual case: a CLI call reads the queue without even importing alembic
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot open the request database ({exc.orig}); check PRIVACY_ASSISTANT_DATABASE_URL"
        ) from None
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["vault"] = vault
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot open the request database ({exc.orig}); check PRIVACY_ASSISTANT_DATABASE_URL"
        ) from None


def current_revision(engine: Engine) -> str | None:
    """The schema's revision as alembic recorded it; None for a new database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@cache
def head_revision() -> str:
    """The newest revision in ``migrations/versions``: the one no other revision follows."""
    revisions, followed = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revisions.update(re.findall(r'^revision = "([^"]+)"', source, re.M))
        followed.update(re.findall(r'^down_revision = "([^"]+)"', source, re.M))
    heads = revisions - followed
    if len(heads) != 1:
        raise ConfigurationError(f"{MIGRATIONS}: expected one newest migration, found {sorted(heads)}")
    return heads.pop()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
