-- Foundation: the space, accounts, sessions, invites, companies and their members.
-- Times are Unix milliseconds (BIGINT); flags are 0/1 integers; lists are JSON text.

CREATE TABLE space (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    registration_mode TEXT NOT NULL DEFAULT 'invite'
        CHECK (registration_mode IN ('open', 'invite', 'closed')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Members and companies share one namespace of handles (@handle@domain).
CREATE TABLE handles (
    handle TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('member', 'company'))
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle TEXT NOT NULL UNIQUE REFERENCES handles(handle),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    bio TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    avatar_key TEXT,
    is_admin BIGINT NOT NULL DEFAULT 0,
    discoverable BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    label TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE invites (
    code TEXT PRIMARY KEY,
    created_by BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    max_uses BIGINT NOT NULL,
    uses BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle TEXT NOT NULL UNIQUE REFERENCES handles(handle),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '[]',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    size TEXT NOT NULL DEFAULT '',
    logo_key TEXT,
    hiring BIGINT NOT NULL DEFAULT 0,
    open_to_collaborate BIGINT NOT NULL DEFAULT 0,
    discoverable BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE company_members (
    company_id BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, account_id)
);
CREATE INDEX company_members_account ON company_members(account_id);

CREATE TABLE company_invites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    invited_by BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, account_id)
);
CREATE INDEX company_invites_account ON company_invites(account_id);
