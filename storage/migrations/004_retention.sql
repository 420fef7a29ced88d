-- Retention (issue 15): what an older version kept of handled updates and sent messages is blanked
-- (the raw update holds a caller's full number); later versions blank it in the same transaction.
UPDATE inbox SET payload = '{}' WHERE handled_at IS NOT NULL AND payload <> '{}';
UPDATE outbox SET payload = '{}' WHERE state = 'sent' AND payload <> '{}';
