"""The benchmark's own databases: ``tierdesk_bench_*`` on PostgreSQL, files on SQLite.

Only databases whose name starts with :data:`PREFIX` are ever dropped or created.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PREFIX = "tierdesk_bench_"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
KINDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class Target:
    kind: str  # sqlite | postgres
    name: str
    url: str
    path: Path | None = None
    server: str = ""

    @property
    def vendor(self) -> str:
        return "postgresql" if self.kind == "postgres" else "sqlite"


def name_for(tickets: int) -> str:
    return f"{PREFIX}{tickets}"


def sqlite(data_dir: Path, name: str) -> Target:
    path = (data_dir / f"{name}.sqlite3").resolve()
    return Target("sqlite", name, f"sqlite:///{path}", path=path)


def postgres(server: str, name: str) -> Target:
    parts = urlsplit(server)
    return Target("postgres", name, urlunsplit(parts._replace(path=f"/{name}")), server=server)


def _check(name: str) -> None:
    if not name.startswith(PREFIX) or not name[len(PREFIX) :].replace("_", "").isalnum():
        raise ValueError(f"refusing to touch database {name!r}: not a {PREFIX}* name")


def problem(target: Target) -> str | None:
    """Why this database cannot be used, or None."""
    if target.kind == "sqlite":
        return None
    import psycopg

    try:
        with psycopg.connect(target.server, autocommit=True, connect_timeout=5):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {target.server} is not reachable: {str(exc).strip()[:200]}"


def reset(target: Target) -> None:
    """An empty database for ``target`` (dropping the previous benchmark copy)."""
    _check(target.name)
    if target.kind == "sqlite":
        assert target.path is not None
        target.path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(target.server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))


def exists(target: Target) -> bool:
    if target.kind == "sqlite":
        return target.path is not None and target.path.exists()
    import psycopg

    with psycopg.connect(target.server, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
        return row.fetchone() is not None
