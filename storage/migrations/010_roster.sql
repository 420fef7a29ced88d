-- The roster: who does what and which Telegram group is whose, changed from Telegram at run time.
-- settings.toml seeds it: each settings entry is applied once (roster_seeded remembers it), so an entry
-- added to the settings later still arrives, and a change made in Telegram is not undone by a restart.

-- key: 'agency:<kode>', 'call_takers' or 'supervisors'. chat_id NULL: phone only / not bound.
-- reachable 0: the bot was removed from the group or may not post there (cards become phone notices).
CREATE TABLE roster_groups (
    key TEXT PRIMARY KEY,
    chat_id INTEGER,
    title TEXT,
    mumble_channel TEXT,
    phone TEXT,
    reachable INTEGER NOT NULL DEFAULT 1,
    unreachable_reason TEXT,
    changed_at REAL NOT NULL
);
CREATE UNIQUE INDEX roster_groups_chat ON roster_groups(chat_id) WHERE chat_id IS NOT NULL;

CREATE TABLE roster_people (
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('call_taker', 'supervisor', 'admin')),
    name TEXT,
    username TEXT,
    added_at REAL NOT NULL,
    added_by INTEGER,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE roster_mumble (
    name TEXT PRIMARY KEY,
    agency TEXT NOT NULL
);

CREATE TABLE roster_seeded (
    item TEXT PRIMARY KEY,
    at REAL NOT NULL
);

-- One-time invite codes: only a SHA-256 of the code is kept.
CREATE TABLE roster_invites (
    code_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL,
    used_by INTEGER
);

-- request_id of each KeyboardButtonRequestChat we issued (/hubungkan): a chat_shared must match one.
CREATE TABLE roster_chat_requests (
    request_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    admin_id INTEGER NOT NULL,
    created_at REAL NOT NULL,
    used_at REAL
);

-- Groups the bot was added to that nobody bound yet: it leaves at leave_at.
CREATE TABLE roster_unbound (
    chat_id INTEGER PRIMARY KEY,
    title TEXT,
    added_by INTEGER,
    added_at REAL NOT NULL,
    leave_at REAL NOT NULL
);

-- Readiness roll-call (apel siaga): one row per call, one per group asked.
CREATE TABLE rollcalls (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    started_by INTEGER,
    summary_sent INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rollcall_answers (
    rollcall_id INTEGER NOT NULL REFERENCES rollcalls(id),
    key TEXT NOT NULL,
    chat_id INTEGER,
    token TEXT NOT NULL,
    reachable INTEGER NOT NULL,
    answered_by INTEGER,
    answered_name TEXT,
    answered_at REAL,
    PRIMARY KEY (rollcall_id, key)
);

-- What setMyCommands last published per chat, so a restart can withdraw a menu nobody should see now.
CREATE TABLE command_menus (
    chat_id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL
);
