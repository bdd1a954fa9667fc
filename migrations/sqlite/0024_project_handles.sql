-- One namespace of handles, in one table. Projects' handles join those of members and
-- companies in `handles` (kind 'project'), so creating a project reserves its handle the way a
-- sign-up or a new company does: of two transactions taking one handle at once, the second
-- fails on the key. Project key pairs move beside every other actor's, into `actor_keys`.
--
-- Before this migration a member or a company and a project could take one handle at the same
-- moment on PostgreSQL. Such a shared handle stays with the member or company here (the
-- project keeps its own row and keeps working); the server reports every one at start-up and
-- `guildhall migrate` lists them, so the operator can rename one (docs/operations.md).

-- `handles`: allow kind 'project'. SQLite changes a CHECK by rebuilding the table; accounts
-- and companies refer to it, so their foreign keys are checked at commit, when every handle
-- is back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE handles_before_0024 AS SELECT handle, kind FROM handles;
DROP TABLE handles;
CREATE TABLE handles (
    handle TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('member', 'company', 'project'))
);
INSERT INTO handles (handle, kind) SELECT handle, kind FROM handles_before_0024;
DROP TABLE handles_before_0024;
INSERT INTO handles (handle, kind)
    SELECT handle, 'project' FROM projects
    WHERE handle NOT IN (SELECT handle FROM handles);

-- `actor_keys`: allow kind 'project' and take the projects' key pairs.
CREATE TABLE actor_keys_0024 (
    kind TEXT NOT NULL CHECK (kind IN ('space', 'member', 'company', 'project')),
    local_id BIGINT NOT NULL,
    public_pem TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, local_id)
);
INSERT INTO actor_keys_0024 (kind, local_id, public_pem, private_pem, created_at)
    SELECT kind, local_id, public_pem, private_pem, created_at FROM actor_keys;
INSERT INTO actor_keys_0024 (kind, local_id, public_pem, private_pem, created_at)
    SELECT 'project', id, public_pem, private_pem, created_at FROM projects;
DROP TABLE actor_keys;
ALTER TABLE actor_keys_0024 RENAME TO actor_keys;
ALTER TABLE projects DROP COLUMN public_pem;
ALTER TABLE projects DROP COLUMN private_pem;
