-- Retention (issue 15): what an older version kept of handled updates and sent messages is blanked
-- (the raw update holds a caller's full number); later versions blank it in the same transaction.
UPDATE inbox SET payload = '{}' WHERE handled_at IS NOT NULL AND payload <> '{}';
UPDATE outbox SET payload = '{}' WHERE state = 'sent' AND payload <> '{}';

-- What the hot path looks up, so a year of rows does not slow a dispatch. OutboxRepo.supersede runs
-- inside the write transaction of every card delivery: without this it walked every row below the
-- current id (57 ms at 1,000,000 rows).
CREATE INDEX outbox_card_pending ON outbox(assignment_id, kind) WHERE state = 'pending';
-- /lihat 42, /tutup 42, !terima 42 find an incident by its number (numbers restart each year).
CREATE INDEX incidents_number ON incidents(number);
-- /aktif, the digest and escalation read the open incidents only.
CREATE INDEX incidents_open ON incidents(created_at) WHERE state = 'open';
