"""Audit stamps: what a cached degree audit is keyed by, changed by the database itself on every relevant write.

A student's audit depends on their own rows (course, ensemble and milestone records, studio sessions, exceptions,
enrollment) and on shared rows (programs, catalog versions, concentrations, courses, terms, studios, ensembles and
people's names). Triggers give the student a new random `AuditStamp.token` whenever one of their rows is inserted,
updated or deleted, and give `AuditGeneration` a new token whenever a shared row is, in the same transaction as the
write. A cache keyed by (student, stamp, generation, catalog digest, today) can therefore never serve a stale audit,
in any process on any host: a write that commits changes the key that every later reader sees.

Triggers (rather than application hooks) also catch bulk UPDATEs, raw SQL, the CLI and COPY. Random tokens (rather
than counters) never repeat, even after a table is emptied and refilled.

Note for migrations: SQLite's batch mode rebuilds a table and so drops its triggers; a migration that rebuilds one
of the tables below must call `install_triggers` again (tests/test_audit_cache.py checks the triggers at head).
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# Tables whose rows belong to one student (column student_id): a write changes that student's stamp.
STUDENT_TABLES = ("course_record", "ensemble_record", "studio_session", "milestone_record", "audit_exception",
                  "enrollment")
# Shared tables an audit reads: a write changes the generation, so every audit is recomputed once.
SHARED_TABLES = ("program", "catalog_version", "concentration", "course", "term", "studio", "ensemble")
# Of the user table only names reach an audit (signers of milestones and exceptions); logins must not count.
USER_COLUMNS = ("display_name",)
GENERATION_ID = 1


class AuditStamp(db.Model):
    """A student's current audit stamp: a new random token after every write to their records."""

    __tablename__ = "audit_stamp"

    # No foreign key: deleting a user cascades to their records, whose triggers write a stamp for that user.
    student_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(32), nullable=False)

    def __repr__(self) -> str:
        return f"<AuditStamp {self.student_id} {self.token}>"


class AuditGeneration(db.Model):
    """One row (id 1): a new random token after every write to a shared table an audit reads."""

    __tablename__ = "audit_generation"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    token: Mapped[Optional[str]] = mapped_column(sa.String(32), nullable=True)

    def __repr__(self) -> str:
        return f"<AuditGeneration {self.token}>"


# ---------------------------------------------------------------- triggers

_SQLITE_TOKEN = "lower(hex(randomblob(16)))"
_PG_TOKEN = "md5(random()::text || clock_timestamp()::text)"


def _sqlite_stamp(row: str) -> str:
    return (f"INSERT INTO audit_stamp (student_id, token) VALUES ({row}.student_id, {_SQLITE_TOKEN}) "
            f"ON CONFLICT (student_id) DO UPDATE SET token = excluded.token;")


_SQLITE_GENERATION = (f"INSERT INTO audit_generation (id, token) VALUES ({GENERATION_ID}, {_SQLITE_TOKEN}) "
                      f"ON CONFLICT (id) DO UPDATE SET token = excluded.token;")


def _sqlite_statements() -> list[str]:
    out = []
    for table in STUDENT_TABLES:
        out += [f"CREATE TRIGGER audit_stamp_{table}_insert AFTER INSERT ON {table} BEGIN {_sqlite_stamp('NEW')} END",
                f"CREATE TRIGGER audit_stamp_{table}_update AFTER UPDATE ON {table} "
                f"BEGIN {_sqlite_stamp('OLD')} {_sqlite_stamp('NEW')} END",
                f"CREATE TRIGGER audit_stamp_{table}_delete AFTER DELETE ON {table} BEGIN {_sqlite_stamp('OLD')} END"]
    for table in SHARED_TABLES:
        out += [f"CREATE TRIGGER audit_generation_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_SQLITE_GENERATION} END" for event in ("INSERT", "UPDATE", "DELETE")]
    out.append(f"CREATE TRIGGER audit_generation_user_update AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON \"user\" "
               f"BEGIN {_SQLITE_GENERATION} END")
    return out


_PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION audit_stamp_bump() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO audit_stamp (student_id, token) VALUES (OLD.student_id, {_PG_TOKEN})
    ON CONFLICT (student_id) DO UPDATE SET token = excluded.token;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO audit_stamp (student_id, token) VALUES (NEW.student_id, {_PG_TOKEN})
    ON CONFLICT (student_id) DO UPDATE SET token = excluded.token;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION audit_generation_bump() RETURNS trigger AS $$
BEGIN
  INSERT INTO audit_generation (id, token) VALUES ({GENERATION_ID}, {_PG_TOKEN})
  ON CONFLICT (id) DO UPDATE SET token = excluded.token;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
]


def _pg_statements() -> list[str]:
    out = list(_PG_FUNCTIONS)
    for table in STUDENT_TABLES:
        out.append(f'CREATE TRIGGER audit_stamp_{table} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                   f"FOR EACH ROW EXECUTE FUNCTION audit_stamp_bump()")
    for table in SHARED_TABLES:
        out.append(f'CREATE TRIGGER audit_generation_{table} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                   f"FOR EACH ROW EXECUTE FUNCTION audit_generation_bump()")
    out.append(f'CREATE TRIGGER audit_generation_user AFTER UPDATE OF {", ".join(USER_COLUMNS)} ON "user" '
               f"FOR EACH ROW EXECUTE FUNCTION audit_generation_bump()")
    # TRUNCATE fires no row trigger: a statement trigger keeps the generation honest there too.
    for table in STUDENT_TABLES + SHARED_TABLES:
        out.append(f'CREATE TRIGGER audit_generation_{table}_truncate AFTER TRUNCATE ON "{table}" '
                   f"FOR EACH STATEMENT EXECUTE FUNCTION audit_generation_bump()")
    return out


def trigger_names(dialect: str) -> list[str]:
    """The names of the triggers `install_triggers` creates on this dialect."""
    statements = _pg_statements() if dialect == "postgresql" else _sqlite_statements()
    return [s.split()[2] for s in statements if s.startswith("CREATE TRIGGER")]


def install_triggers(connection: sa.Connection) -> None:
    """Create the stamp triggers (after the tables exist): from create_all and from the migration."""
    dialect = connection.dialect.name
    for statement in _pg_statements() if dialect == "postgresql" else _sqlite_statements():
        connection.exec_driver_sql(statement)


def drop_triggers(connection: sa.Connection) -> None:
    """Drop what install_triggers created (the migration's downgrade)."""
    dialect = connection.dialect.name
    for statement in _pg_statements() if dialect == "postgresql" else _sqlite_statements():
        if not statement.startswith("CREATE TRIGGER"):
            continue
        words = statement.split()
        name, table = words[2], words[words.index("ON") + 1]
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql"
                                                                        else ""))
    if dialect == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS audit_stamp_bump()")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS audit_generation_bump()")


@sa.event.listens_for(db.metadata, "after_create")
def _after_create(_metadata, connection, **_kw) -> None:
    """create_all (tests, a fresh embedded database) gets the triggers too; migrations call install_triggers."""
    drop_triggers(connection)  # create_all may run again on a database that has them
    install_triggers(connection)
