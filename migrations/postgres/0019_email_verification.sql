-- E-mail addresses (owner: accounts). `email_verified_at` is when the member proved the
-- address (a confirmation link, or an administrator); accounts that existed before count as
-- verified. `email_mail_at` is when a confirmation mail was last sent, so "send again" is
-- throttled by one conditional update.
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;
ALTER TABLE accounts ADD COLUMN email_mail_at BIGINT;
UPDATE accounts SET email_verified_at = created_at;

-- Single-use links mailed to an address: `verify` confirms the account's address, `change`
-- confirms a new one (`email` is the address the link was sent to; for a change, the
-- pending address). Only the SHA-256 of a token is kept; `used_at` is set by the one
-- conditional update that consumes it.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'change')),
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_tokens_account ON email_tokens(account_id);

-- Space setting (owner: spaces): new members must confirm their address before they act.
ALTER TABLE space ADD COLUMN require_email_verification BIGINT NOT NULL DEFAULT 0;
