"""The connection type every repository takes: aiosqlite's, or the PostgreSQL one that speaks like it."""

from __future__ import annotations

import aiosqlite

from storage.inline import InlineConnection
from storage.pg import PgConnection

Connection = InlineConnection | aiosqlite.Connection | PgConnection
