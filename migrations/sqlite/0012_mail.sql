-- Outgoing mail and what it serves: the persistent mail queue (owner: mail), single-use
-- password reset tokens (owner: accounts).
-- Times are Unix milliseconds. A queued mail is claimed by a conditional update of
-- `lease_until`, so two processes never send one mail twice; `sent_at` is set once it is
-- accepted by the SMTP server; `failed_at` when it was given up.

CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at BIGINT,
    failed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_queue_due ON mail_queue(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- Only the SHA-256 of a reset token is kept; `used_at` is set by the one conditional update
-- that consumes it.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_account ON password_resets(account_id);

-- Notification mails (owner: notifications). Per member and topic: 'immediate', 'digest' or
-- 'never'; a topic without a row has its default. `notification_mail_state` holds the cursor of
-- notifications already considered for immediate mails (advanced by one conditional update, so
-- several processes never mail one twice) and the secret that signs unsubscribe links.
-- `notification_digests` holds, per member, the last notification a digest covered and when it
-- was sent.
CREATE TABLE notification_settings (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('immediate', 'digest', 'never')),
    PRIMARY KEY (account_id, topic)
);

CREATE TABLE notification_mail_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    secret TEXT NOT NULL
);

CREATE TABLE notification_digests (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    last_id BIGINT NOT NULL,
    sent_at BIGINT NOT NULL
);
