-- Escalation ladder and digests. escalation_level: 0 nothing yet, 1 card re-posted (ULANG), 2 supervisors
-- and call taker alerted. Each level is taken with a guarded UPDATE (... WHERE escalation_level = ?), so a
-- restart can neither lose nor double one. arrival_escalated: the en_route -> on_scene deadline fired.
ALTER TABLE assignments ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN arrival_escalated INTEGER NOT NULL DEFAULT 0;

-- One row per digest period ('hari:2024-03-05', 'bulan:2024-02'), written in the same transaction as the
-- digest's outbox rows: a period is sent exactly once. status 'baseline' marks periods that were already
-- over when the bot first ran on this database (nothing was missed, so nothing is sent).
CREATE TABLE digests (
    period_key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('sent', 'baseline')),
    start_at REAL NOT NULL,
    end_at REAL NOT NULL,
    recorded_at REAL NOT NULL
);
