-- Panic-button alerts received over HTTP (POST /api/v1/panic). The row, its event and its outbox rows
-- commit in one transaction before the 202 goes back. phone is the full number (PII, purged with the
-- calls' numbers); everything shown outside the database uses phone_masked. state moves once, from
-- 'new' to what the first call taker's button chose, with a guarded UPDATE (... WHERE state = 'new').
CREATE TABLE panic_alerts (
    id INTEGER PRIMARY KEY,
    app TEXT NOT NULL,
    phone TEXT,
    phone_masked TEXT NOT NULL,
    name TEXT,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    accuracy_m REAL,
    text TEXT,
    kelurahan TEXT,
    kecamatan TEXT,
    token TEXT NOT NULL,
    received_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'followed', 'prank', 'ghost')),
    handled_by INTEGER,
    handled_by_name TEXT,
    handled_at REAL,
    -- The client's Idempotency-Key: a request retried after a lost 202 (a crash, a dropped connection)
    -- finds its alert again instead of alerting the call takers twice.
    request_key TEXT
);
CREATE INDEX panic_alerts_received ON panic_alerts(received_at);
CREATE UNIQUE INDEX panic_alerts_request ON panic_alerts(app, request_key) WHERE request_key IS NOT NULL;
