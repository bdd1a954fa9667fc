-- Moderation inside the space: the moderator role and suspension of accounts, members' blocks,
-- mutes and hidden domains, reports and their queue, limits on remote actors, the audit log,
-- and what a Mastodon domain-block CSV carries beyond our domain rules.

ALTER TABLE accounts ADD COLUMN is_moderator BIGINT NOT NULL DEFAULT 0;
-- Set while the account is suspended: no sign-in, its actor and content hidden.
ALTER TABLE accounts ADD COLUMN suspended_at BIGINT;

-- A member's own blocks ('block', target an actor URI), mutes ('mute', an actor URI) and
-- hidden domains ('domain', a bare domain).
CREATE TABLE member_blocks (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('block', 'mute', 'domain')),
    target TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, target)
);
CREATE INDEX member_blocks_target ON member_blocks(target, kind);

-- Reports: made by a local member (origin 'local', reporter_id set) or, later, received from a
-- remote server as a Flag (origin its host, reporter_id empty).
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    category TEXT NOT NULL CHECK (category IN ('spam', 'abuse', 'illegal', 'other')),
    comment TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL,
    objects TEXT NOT NULL DEFAULT '[]',
    reporter_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    origin TEXT NOT NULL DEFAULT 'local',
    forward BIGINT NOT NULL DEFAULT 0,
    assigned_to BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    resolved_by BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    resolution_note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX reports_state ON reports(state, id);

-- Moderators' limits on single remote actors: 'limit' hides them from public views and the
-- directory, 'suspend' hides them everywhere in the space.
CREATE TABLE remote_actor_limits (
    actor_uri TEXT PRIMARY KEY,
    severity TEXT NOT NULL CHECK (severity IN ('limit', 'suspend')),
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- Every moderation action: who, what, on what, why, when. The handle is kept as it was, so a
-- line survives its moderator's account.
CREATE TABLE moderation_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    moderator_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    moderator TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    report_id BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX moderation_audit_time ON moderation_audit(id);

-- The columns of a Mastodon domain-block CSV that domain rules do not hold, by domain, in the
-- order they were imported, so an imported list exports unchanged.
CREATE TABLE domain_rule_csv (
    domain TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('suspend', 'silence', 'noop')),
    reject_media BIGINT NOT NULL DEFAULT 0,
    reject_reports BIGINT NOT NULL DEFAULT 0,
    public_comment TEXT,
    obfuscate BIGINT NOT NULL DEFAULT 0
);
