-- Federation core: remote actors, follows, inbound and outbound activities, the delivery
-- queue, per-host delivery state, domain policy and tombstones of deleted local actors.

CREATE TABLE remote_actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    preferred_username TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    icon_url TEXT NOT NULL DEFAULT '',
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    outbox TEXT,
    followers TEXT,
    following TEXT,
    key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    manually_approves BIGINT NOT NULL DEFAULT 0,
    discoverable BIGINT NOT NULL DEFAULT 0,
    document TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX remote_actors_host ON remote_actors(host);
CREATE INDEX remote_actors_key_id ON remote_actors(key_id);
CREATE INDEX remote_actors_handle ON remote_actors(preferred_username, host);

-- Follow relations in both directions; actors are named by URI, local or remote.
CREATE TABLE follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    activity_uri TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (follower, followee)
);
CREATE INDEX follows_followee ON follows(followee, state);

-- Activities received, deduplicated by id, processed outside the request.
CREATE TABLE inbox_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_uri TEXT NOT NULL UNIQUE,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    processed_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX inbox_activities_pending ON inbox_activities(processed_at, id);

-- Activities published by local actors; public ones form the outbox collections.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX activities_actor ON activities(actor, id);

-- The persistent delivery queue: one row per (activity, remote inbox).
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    signer_kind TEXT NOT NULL,
    signer_id BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_host ON deliveries(host, state);

-- Delivery health per remote host; a parked host waits until a probe succeeds.
CREATE TABLE delivery_hosts (
    host TEXT PRIMARY KEY,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    parked_until BIGINT NOT NULL DEFAULT 0,
    last_success_at BIGINT,
    last_failure_at BIGINT,
    last_error TEXT
);

-- Domain policy: 'block' rejects, 'silence' accepts but hides from public views, 'allow'
-- lists the domains accepted when the space federates by allowlist.
CREATE TABLE domain_policies (
    domain TEXT PRIMARY KEY,
    policy TEXT NOT NULL CHECK (policy IN ('block', 'silence', 'allow')),
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
ALTER TABLE space ADD COLUMN federation_mode TEXT NOT NULL DEFAULT 'open'
    CHECK (federation_mode IN ('open', 'allowlist'));

-- Deleted local actors answer 410 Gone with a Tombstone.
CREATE TABLE tombstones (
    uri TEXT PRIMARY KEY,
    former_type TEXT NOT NULL,
    deleted_at BIGINT NOT NULL
);
