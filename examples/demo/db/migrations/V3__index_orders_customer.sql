SET lock_timeout = '2s';
-- Looks harmless on a laptop; blocks every write to orders while the index builds.
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
