SET lock_timeout = '2s';
-- A nullable column without a default: metadata-only in Postgres 11+.
ALTER TABLE orders ADD COLUMN note text;
