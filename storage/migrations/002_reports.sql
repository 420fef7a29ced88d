-- Reports: a covering index so the annual statistics read a year of calls from the index alone.
-- type first: each report query seeks `type IN (...) AND at in [start, end)` and never touches the
-- table (measured on 1,000,000 calls in random order: 4.2 s with calls_at alone, under 1 s with this).
CREATE INDEX calls_report ON calls(type, at, category, kecamatan);
