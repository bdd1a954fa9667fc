-- Shared projects (`Group` actors, FEP-1b12) and what they hold: tasks on a board, notes with
-- revisions, files. Membership is a follow of the project's actor (the follows table), so a
-- closed project approves joins like a locked account approves followers.
-- Tasks, notes and files are kept for local projects and, as received copies, for remote
-- projects a local member joined: `project` is the group's URI either way, `local` says which.
-- A project's handle is checked against the handles of members and companies (and theirs
-- against projects) when either is created; its RSA key lives beside it. `owner` is the URI of
-- the member or company that created it (`company_id` set for a company: its owners and admins
-- manage the project; otherwise the creating member does).

CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    closed BIGINT NOT NULL DEFAULT 0,
    owner TEXT NOT NULL,
    company_id BIGINT,
    created_by BIGINT NOT NULL,
    public_pem TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects(owner);

CREATE TABLE project_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    local BIGINT NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('todo', 'doing', 'done')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high')),
    due_on TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX project_tasks_project ON project_tasks(project, id);

CREATE TABLE project_task_assignees (
    task_id BIGINT NOT NULL REFERENCES project_tasks(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    PRIMARY KEY (task_id, actor)
);
CREATE INDEX project_task_assignees_actor ON project_task_assignees(actor, task_id);

CREATE TABLE project_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    local BIGINT NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    revision BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX project_notes_project ON project_notes(project, id);

-- Every save of a note, the first included.
CREATE TABLE project_note_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id BIGINT NOT NULL REFERENCES project_notes(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    author TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (note_id, number)
);

CREATE TABLE project_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    local BIGINT NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    media_key TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX project_files_project ON project_files(project, id);
