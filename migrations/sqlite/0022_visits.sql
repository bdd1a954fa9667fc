-- Visits across spaces. As host: the peer spaces whose members may book resources open to
-- visitors, each with how many visit days one of its members may use per calendar month.
CREATE TABLE trusted_spaces (
    domain TEXT PRIMARY KEY,
    visit_days_per_month BIGINT NOT NULL CHECK (visit_days_per_month >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A visitor's booking keeps the `Offer` that asked for it (its id, unique; '' for local
-- bookings), so the visitor's `Undo` finds it and the host's cancellation names it, and how
-- staff see the visitor ("Ada, member of Harbour Works (harbour.example)").
ALTER TABLE bookings ADD COLUMN visitor_offer TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN visitor_label TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX bookings_visitor_offer ON bookings(visitor_offer) WHERE visitor_offer <> '';
CREATE INDEX bookings_visitor ON bookings(visitor_actor, starts_at) WHERE visitor_actor <> '';

-- As guest: a local member's request to book a resource of a peer space. `uri` is the
-- reservation's id, `offer_uri` the id of the `Offer` that carried it; `space_actor` the only
-- actor whose `Accept`, `Reject` or `Undo` may change it. Times are Unix ms (end exclusive).
CREATE TABLE visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    space TEXT NOT NULL,
    space_actor TEXT NOT NULL,
    space_name TEXT NOT NULL DEFAULT '',
    resource_uri TEXT NOT NULL,
    resource_name TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT 'UTC',
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    uri TEXT NOT NULL UNIQUE,
    offer_uri TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'accepted', 'rejected', 'cancelled')),
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX visits_account ON visits(account_id, starts_at);
