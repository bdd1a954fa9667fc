-- Notifications of local members: follows, RSVPs, mentions, replies, task assignments and
-- messages. Actors and objects are named by URI (local or remote); link is the local page
-- that shows the cause.

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    object TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_account ON notifications(account_id, id);
