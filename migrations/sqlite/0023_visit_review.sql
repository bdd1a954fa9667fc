-- Visits reviewed by staff. A trusted space may be marked "review visits": its members'
-- requests are not booked at once but kept here, pending, until an administrator accepts
-- (the seat and the quota are checked again then, and the booking made, in one transaction)
-- or rejects them. A pending request holds no seat and counts for no quota.
ALTER TABLE trusted_spaces ADD COLUMN review_visits BIGINT NOT NULL DEFAULT 0;

CREATE TABLE visit_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    visitor_actor TEXT NOT NULL,
    visitor_space TEXT NOT NULL,
    visitor_label TEXT NOT NULL DEFAULT '',
    -- The `Offer` that asked (unique) and the reservation it carried.
    visitor_offer TEXT NOT NULL UNIQUE,
    reservation TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'accepted', 'rejected', 'cancelled')),
    reason TEXT NOT NULL DEFAULT '',
    -- The booking made when accepted.
    booking_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX visit_requests_state ON visit_requests(state, starts_at);
