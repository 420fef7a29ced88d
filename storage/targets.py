"""Which backend a storage target names: a postgresql:// URL, or else the SQLite file's path.
Dependency-free, so the settings can ask without loading a database driver."""

from __future__ import annotations

from pathlib import Path

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(POSTGRES_SCHEMES)
