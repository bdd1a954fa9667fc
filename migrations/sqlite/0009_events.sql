-- Events, local and received, with their participants (RSVPs in both directions), and the
-- private calendar feed tokens of members (stored hashed).
-- Times are Unix ms; `timezone` is the IANA name the organiser chose (wall times are shown in
-- it). `capacity` NULL means no limit; `participant_count` counts accepted participants of local
-- events (kept by one conditional UPDATE so a seat is never given twice) and is copied from the
-- document for received ones.

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    local BIGINT NOT NULL DEFAULT 0,
    organizer TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    timezone TEXT NOT NULL,
    place_name TEXT NOT NULL DEFAULT '',
    street_address TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    locality TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    online_url TEXT NOT NULL DEFAULT '',
    capacity BIGINT,
    join_mode TEXT NOT NULL CHECK (join_mode IN ('free', 'approval', 'invite', 'external')),
    external_url TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'members')),
    category TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
    participant_count BIGINT NOT NULL DEFAULT 0,
    url TEXT NOT NULL DEFAULT '',
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    received_at BIGINT NOT NULL
);
CREATE INDEX events_organizer ON events(organizer, starts_at);
CREATE INDEX events_starts ON events(starts_at);

-- One row per actor and event: a remote actor's Join of a local event, or a local member's
-- RSVP to any event (local, or remote and waiting for the organiser's Accept).
CREATE TABLE event_participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    join_uri TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_id, actor)
);
CREATE INDEX event_participants_actor ON event_participants(actor, event_id);
CREATE INDEX event_participants_join ON event_participants(join_uri);

CREATE TABLE calendar_tokens (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
