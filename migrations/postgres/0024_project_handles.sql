-- One namespace of handles, in one table. Projects' handles join those of members and
-- companies in `handles` (kind 'project'), so creating a project reserves its handle the way a
-- sign-up or a new company does: of two transactions taking one handle at once, the second
-- fails on the key. Project key pairs move beside every other actor's, into `actor_keys`.
--
-- Before this migration a member or a company and a project could take one handle at the same
-- moment. Such a shared handle stays with the member or company here (the project keeps its
-- own row and keeps working); the server reports every one at start-up and `guildhall migrate`
-- lists them, so the operator can rename one (docs/operations.md).

ALTER TABLE handles DROP CONSTRAINT handles_kind_check;
ALTER TABLE handles ADD CONSTRAINT handles_kind_check
    CHECK (kind IN ('member', 'company', 'project'));
INSERT INTO handles (handle, kind)
    SELECT handle, 'project' FROM projects
    ON CONFLICT (handle) DO NOTHING;

ALTER TABLE actor_keys DROP CONSTRAINT actor_keys_kind_check;
ALTER TABLE actor_keys ADD CONSTRAINT actor_keys_kind_check
    CHECK (kind IN ('space', 'member', 'company', 'project'));
INSERT INTO actor_keys (kind, local_id, public_pem, private_pem, created_at)
    SELECT 'project', id, public_pem, private_pem, created_at FROM projects;
ALTER TABLE projects DROP COLUMN public_pem;
ALTER TABLE projects DROP COLUMN private_pem;
