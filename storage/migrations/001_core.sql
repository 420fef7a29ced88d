-- Core dispatch state. Times are REAL seconds since the Unix epoch (UTC); periods are cut in the
-- configured time zone by the code that reads them.

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    category TEXT NOT NULL,
    priority INTEGER NOT NULL CHECK (priority IN (1, 2, 3)),
    kelurahan TEXT,
    kecamatan TEXT,
    address TEXT NOT NULL,
    description TEXT NOT NULL,
    phone TEXT,
    phone_masked TEXT,
    lat REAL,
    lon REAL,
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'closed', 'cancelled', 'handed_off')),
    disposition TEXT,
    state_reason TEXT,
    call_taker_id INTEGER NOT NULL,
    call_taker_chat_id INTEGER NOT NULL,
    created_at REAL NOT NULL,
    ended_at REAL,
    UNIQUE (year, number)
);

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    agency TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'notified'
        CHECK (state IN ('notified', 'acknowledged', 'en_route', 'on_scene', 'cleared', 'declined')),
    token TEXT NOT NULL,
    chat_id INTEGER,
    message_id INTEGER,
    notified_at REAL NOT NULL,
    acknowledged_at REAL,
    en_route_at REAL,
    on_scene_at REAL,
    cleared_at REAL,
    declined_at REAL,
    decline_reason TEXT,
    UNIQUE (incident_id, agency)
);
CREATE INDEX assignments_open ON assignments(state);

-- Append-only audit: every change and every refusal.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('telegram', 'radio', 'system', 'cli')),
    actor_id INTEGER,
    actor_name TEXT,
    incident_id INTEGER REFERENCES incidents(id),
    assignment_id INTEGER REFERENCES assignments(id),
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_incident ON events(incident_id);

-- Side effects, committed with the change that causes them and delivered by workers.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('telegram', 'mumble')),
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    priority INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    incident_id INTEGER REFERENCES incidents(id),
    assignment_id INTEGER REFERENCES assignments(id),
    created_at REAL NOT NULL,
    due_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'superseded')),
    sent_at REAL,
    message_id INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox(channel, priority, due_at) WHERE state = 'pending';

-- Telegram updates, stored before they are confirmed to the Bot API.
CREATE TABLE inbox (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL,
    handled_at REAL
);
CREATE INDEX inbox_unhandled ON inbox(update_id) WHERE handled_at IS NULL;

-- A conversation in progress (guided /baru, a decline waiting for its reason).
CREATE TABLE drafts (
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    step TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL,
    PRIMARY KEY (user_id, chat_id)
);

-- Every answered call, recorded by the bot or imported; the statistics are computed from here.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('incident', 'informasi', 'prank', 'ghost')),
    at REAL NOT NULL,
    category TEXT,
    kelurahan TEXT,
    kecamatan TEXT,
    agencies TEXT NOT NULL DEFAULT '',
    phone TEXT,
    phone_masked TEXT,
    note TEXT,
    call_taker_id INTEGER,
    incident_id INTEGER REFERENCES incidents(id),
    source TEXT NOT NULL DEFAULT 'bot' CHECK (source IN ('bot', 'import')),
    import_key TEXT UNIQUE
);
CREATE INDEX calls_at ON calls(at);

-- Figures from the telephony platform (Table 2's incoming, to agent, answered, percentage).
CREATE TABLE telephony_months (
    month TEXT PRIMARY KEY,
    incoming INTEGER NOT NULL,
    to_agent INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    percentage REAL NOT NULL
);
