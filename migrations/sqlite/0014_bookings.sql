-- Rooms, desks, booths and event rooms of the space, and their bookings.
-- The space's IANA time zone: wall times of bookings and opening hours are read in it.
ALTER TABLE space ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

-- A bookable resource. `seats` is a JSON list of named desks (empty: a pool of `capacity`
-- interchangeable seats; named: `capacity` is their number). `opening_hours` is NULL (bookable
-- at any hour) or a JSON list of seven entries, Monday first, each NULL (closed) or
-- [opens, closes] in minutes after local midnight. Prices are minor units (cents), shown only.
CREATE TABLE resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('room', 'desk', 'booth', 'event_room')),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    photo_key TEXT,
    capacity BIGINT NOT NULL CHECK (capacity >= 1),
    seats TEXT NOT NULL DEFAULT '[]',
    amenities TEXT NOT NULL DEFAULT '[]',
    location TEXT NOT NULL DEFAULT '',
    opening_hours TEXT,
    slot_minutes BIGINT NOT NULL,
    min_minutes BIGINT NOT NULL,
    max_minutes BIGINT NOT NULL,
    max_days_ahead BIGINT NOT NULL,
    allow_members BIGINT NOT NULL DEFAULT 1,
    allow_companies BIGINT NOT NULL DEFAULT 1,
    allow_visitors BIGINT NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'EUR',
    price_member_hour BIGINT,
    price_member_day BIGINT,
    price_visitor_hour BIGINT,
    price_visitor_day BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A booking of one seat of a resource from `starts_at` to `ends_at` (Unix ms, end exclusive).
-- `seat` is the named desk, or '' in a pool. Who booked: a member (`account_id`), a company
-- (`company_id`, booked by the member `account_id`), or a visitor from a peer space
-- (`visitor_actor` URI and `visitor_space` domain). Bookings of a weekly series share `series`.
-- A cancelled booking keeps its row (calendars show it cancelled); only confirmed ones hold
-- their seat. Two bookings never hold one seat at one time: every booking is written in a
-- transaction that first locks the resource row.
CREATE TABLE bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    seat TEXT NOT NULL DEFAULT '',
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    booker_kind TEXT NOT NULL CHECK (booker_kind IN ('member', 'company', 'visitor')),
    account_id BIGINT REFERENCES accounts(id) ON DELETE CASCADE,
    company_id BIGINT REFERENCES companies(id) ON DELETE CASCADE,
    visitor_actor TEXT NOT NULL DEFAULT '',
    visitor_space TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    series TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'confirmed' CHECK (state IN ('confirmed', 'cancelled')),
    reminded_at BIGINT,
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX bookings_resource ON bookings(resource_id, starts_at);
CREATE INDEX bookings_account ON bookings(account_id, starts_at);
CREATE INDEX bookings_reminders ON bookings(state, reminded_at, starts_at);
