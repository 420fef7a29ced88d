-- Prank/ghost blocks and hand-offs to Kabupaten Blitar 112 (issue 12).

-- One row per block of one number. Active: lifted_at IS NULL AND ends_at > now. The full number is
-- kept because the telephony operator needs it to block (`run.py blocklist`); level is the step of the
-- ladder (1: 24 h, 2: 3 days, 3: the supervisors decided). Lifted rows stay: they count for the ladder
-- and are the audit trail alongside the 'blocked' / 'unblocked' events.
CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level >= 1),
    starts_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    reason TEXT NOT NULL,
    blocked_by INTEGER,
    blocked_by_name TEXT,
    lifted_at REAL,
    lifted_by INTEGER,
    lifted_by_name TEXT,
    lift_reason TEXT
);
CREATE INDEX blocks_phone ON blocks(phone, starts_at);

-- A block proposed with buttons (threshold reached, or a repeat offender for the supervisors).
-- state goes pending -> blocked | ignored exactly once (guarded UPDATE); token defeats forged buttons.
CREATE TABLE block_proposals (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    level INTEGER NOT NULL,
    audience TEXT NOT NULL CHECK (audience IN ('call_taker', 'supervisor')),
    token TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'blocked', 'ignored')),
    created_at REAL NOT NULL,
    decided_at REAL,
    decided_by INTEGER,
    decided_by_name TEXT
);
CREATE INDEX block_proposals_phone ON block_proposals(phone, state);

-- A hand-off card sent to the group shared with Kabupaten Blitar 112. escalation_level: 0 nothing yet,
-- 1 re-posted (ULANG), 2 supervisors and call taker alerted; taken with guarded UPDATEs.
CREATE TABLE handoffs (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    token TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    note TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'declined')),
    created_at REAL NOT NULL,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    answered_at REAL,
    answered_by INTEGER,
    answered_by_name TEXT,
    decline_reason TEXT,
    actor_id INTEGER,
    actor_name TEXT
);
CREATE INDEX handoffs_pending ON handoffs(state, created_at);

-- EIDD documents that created an incident here (file, CLI or a document posted in the group): the same
-- document imported twice creates nothing the second time; the tracking id travels on in exports.
CREATE TABLE eidd_imports (
    document_id TEXT PRIMARY KEY,
    tracking_id TEXT NOT NULL,
    source_agency TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    imported_at REAL NOT NULL
);
CREATE INDEX eidd_imports_incident ON eidd_imports(incident_id);
