-- Every local actor (the space, each member, each company) signs with its own RSA key.
-- kind: 'space' (local_id 1), 'member' (accounts.id) or 'company' (companies.id).
CREATE TABLE actor_keys (
    kind TEXT NOT NULL CHECK (kind IN ('space', 'member', 'company')),
    local_id BIGINT NOT NULL,
    public_pem TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, local_id)
);

-- A locked actor approves each follower by hand (manuallyApprovesFollowers).
ALTER TABLE accounts ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
