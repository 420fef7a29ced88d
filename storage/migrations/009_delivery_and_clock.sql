-- Delivery certainty: attempt_open is set when a send starts and cleared when its result is recorded;
-- maybe_sent once an attempt may have gone out (a timeout, or an attempt found still open after a crash).
-- Only such rows are resent marked "(mungkin terkirim dua kali)"; a 429, a 5xx or a refused connection
-- certainly delivered nothing and leaves no mark.
ALTER TABLE outbox ADD COLUMN attempt_open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0;
-- Rows already tried before this migration keep the old rule: they may have gone out.
UPDATE outbox SET maybe_sent = 1 WHERE state = 'pending' AND attempts > 0;

-- Clock steps: seconds added to the escalation deadlines' bases (notified_at for acknowledgement,
-- en_route_at for arrival) when the wall clock jumped, so a wait keeps its length while notified_at and
-- en_route_at keep the wall times people read.
ALTER TABLE assignments ADD COLUMN ack_shift REAL NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN arrive_shift REAL NOT NULL DEFAULT 0;
