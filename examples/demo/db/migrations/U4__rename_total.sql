ALTER TABLE orders RENAME COLUMN amount_cents TO total_cents;
