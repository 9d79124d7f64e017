-- The orders table. Created empty, so no lock concerns.
CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint      NOT NULL,
    status      text        NOT NULL DEFAULT 'new',
    total_cents integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
