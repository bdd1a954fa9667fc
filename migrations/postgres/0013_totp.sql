-- Two-factor sign-in with TOTP (RFC 6238). One row per member who began enrolment; `enabled`
-- turns 1 when a first code confirms it. `last_step` is the time step of the last accepted code,
-- so a code is never accepted twice (nor one of an earlier step).
CREATE TABLE account_totp (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 0,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    enabled_at BIGINT
);

-- Recovery codes: only their SHA-256 is kept; each works once.
CREATE TABLE totp_recovery_codes (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- A sign-in whose password was right and whose second step is awaited: no session exists
-- until the code is right. The browser holds the token; its SHA-256 is stored.
CREATE TABLE signin_challenges (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX signin_challenges_account ON signin_challenges(account_id);

-- The administrator may require two-factor sign-in of staff (administrators, and moderators
-- once that role exists).
ALTER TABLE space ADD COLUMN require_2fa_for_staff BIGINT NOT NULL DEFAULT 0;
