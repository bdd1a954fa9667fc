-- Moderation on the wire: blocks of local members by remote actors (a received `Block`). While
-- one stands, what the member publishes is not delivered to the blocking actor's own inbox, nor
-- to its server's shared inbox when the activity is addressed to blocking actors alone.
-- `block_id` is the Block activity's id, so an `Undo` naming only that id takes it back.
CREATE TABLE remote_blocks (
    actor_uri TEXT NOT NULL,
    member_uri TEXT NOT NULL,
    block_id TEXT NOT NULL,
    actor_inbox TEXT NOT NULL,
    shared_inbox TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor_uri, member_uri)
);
CREATE INDEX remote_blocks_member ON remote_blocks(member_uri);
CREATE INDEX remote_blocks_id ON remote_blocks(block_id);

-- Blocklist subscriptions: Mastodon domain-block CSVs at addresses an administrator chose,
-- fetched again daily. `blocklist_entries` holds what each list said at its last refresh, so
-- the next one knows which rules it added and which the list no longer names.
CREATE TABLE blocklist_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    fetched_at BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE blocklist_entries (
    subscription_id BIGINT NOT NULL REFERENCES blocklist_subscriptions(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('suspend', 'silence', 'noop')),
    PRIMARY KEY (subscription_id, domain)
);
CREATE INDEX blocklist_entries_domain ON blocklist_entries(domain);
