SET lock_timeout = '2s';
ALTER TABLE orders RENAME COLUMN total_cents TO amount_cents;
