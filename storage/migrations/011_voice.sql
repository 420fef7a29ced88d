-- Voice log (issue 10): every recorded transmission ('in') and every note played on the radio ('out').
-- The audio lives in a file under the data directory; path is relative to it. deleted_at is set when
-- the retention job removed the file (the row stays as the audit of what existed).
CREATE TABLE voice_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    speaker TEXT NOT NULL,
    channel TEXT NOT NULL,
    agency TEXT,
    incident_id INTEGER REFERENCES incidents(id),
    seconds REAL NOT NULL,
    path TEXT NOT NULL,
    deleted_at REAL
);
CREATE INDEX voice_log_incident ON voice_log(incident_id);
CREATE INDEX voice_log_kept ON voice_log(at) WHERE deleted_at IS NULL;
