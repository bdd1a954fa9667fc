-- The federated directory: entries published by this space (local = 1) and pulled from peer
-- spaces (local = 0), the full-text index over them, and the peer spaces themselves.
-- `seq` orders entries by last change (the published collection's cursor); removed entries
-- stay as rows with deleted = 1 and emptied text so peers learn of the removal.

CREATE TABLE directory_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('company', 'person', 'project', 'space', 'event')),
    local BIGINT NOT NULL DEFAULT 0,
    -- The server the entry came from (host[:port]) and its host alone, for domain rules.
    origin TEXT NOT NULL,
    origin_host TEXT NOT NULL,
    handle TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    icon_url TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    industry_key TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '[]',
    city TEXT NOT NULL DEFAULT '',
    city_key TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    space_name TEXT NOT NULL DEFAULT '',
    hiring BIGINT NOT NULL DEFAULT 0,
    open_to_collaborate BIGINT NOT NULL DEFAULT 0,
    starts_at BIGINT,
    ends_at BIGINT,
    facets TEXT NOT NULL DEFAULT '{}',
    -- Normalised text for full-text search, by weight: name and handle; skills and industry;
    -- place and space; summary. Lower-case words separated by single spaces.
    fts_a TEXT NOT NULL DEFAULT '',
    fts_b TEXT NOT NULL DEFAULT '',
    fts_c TEXT NOT NULL DEFAULT '',
    fts_d TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    seq BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    synced_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX directory_entries_seq ON directory_entries(seq);
CREATE INDEX directory_entries_local ON directory_entries(local, seq);
CREATE INDEX directory_entries_recent ON directory_entries(deleted, updated_at, id);
-- Facet filters and counts: each index covers its facet's GROUP BY over live entries.
CREATE INDEX directory_entries_kind ON directory_entries(deleted, kind);
CREATE INDEX directory_entries_industry ON directory_entries(deleted, industry_key, industry);
CREATE INDEX directory_entries_city ON directory_entries(deleted, city_key, city);
CREATE INDEX directory_entries_country ON directory_entries(deleted, country);
CREATE INDEX directory_entries_space ON directory_entries(deleted, origin, space_name);
CREATE INDEX directory_entries_hiring ON directory_entries(deleted, hiring);
CREATE INDEX directory_entries_collaborate ON directory_entries(deleted, open_to_collaborate);
CREATE INDEX directory_entries_origin ON directory_entries(origin, deleted);
CREATE INDEX directory_entries_handle ON directory_entries(handle);

-- Skills one row each (key lower-cased, label as written), for the skill filter and counts.
CREATE TABLE directory_skills (
    entry_id BIGINT NOT NULL REFERENCES directory_entries(id) ON DELETE CASCADE,
    skill TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (skill, entry_id)
);
CREATE INDEX directory_skills_entry ON directory_skills(entry_id);

CREATE VIRTUAL TABLE directory_fts USING fts5(
    fts_a, fts_b, fts_c, fts_d,
    content = 'directory_entries', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER directory_fts_insert AFTER INSERT ON directory_entries BEGIN
    INSERT INTO directory_fts (rowid, fts_a, fts_b, fts_c, fts_d)
    VALUES (new.id, new.fts_a, new.fts_b, new.fts_c, new.fts_d);
END;
CREATE TRIGGER directory_fts_delete AFTER DELETE ON directory_entries BEGIN
    INSERT INTO directory_fts (directory_fts, rowid, fts_a, fts_b, fts_c, fts_d)
    VALUES ('delete', old.id, old.fts_a, old.fts_b, old.fts_c, old.fts_d);
END;
CREATE TRIGGER directory_fts_update AFTER UPDATE OF fts_a, fts_b, fts_c, fts_d ON directory_entries BEGIN
    INSERT INTO directory_fts (directory_fts, rowid, fts_a, fts_b, fts_c, fts_d)
    VALUES ('delete', old.id, old.fts_a, old.fts_b, old.fts_c, old.fts_d);
    INSERT INTO directory_fts (rowid, fts_a, fts_b, fts_c, fts_d)
    VALUES (new.id, new.fts_a, new.fts_b, new.fts_c, new.fts_d);
END;

-- Other spaces whose directories this one pulls. `source` says how the space became known:
-- added by an administrator, learnt from a follow, or from a peer's own peer list (`hops`
-- away). `cursor` is the next page to ask for, exactly as the peer named it.
CREATE TABLE peers (
    domain TEXT PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('admin', 'follow', 'peer')),
    hops BIGINT NOT NULL DEFAULT 0,
    software TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    users BIGINT,
    directory_url TEXT,
    cursor TEXT,
    state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'ok', 'error', 'unsupported')),
    entries BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    last_sync_at BIGINT,
    last_success_at BIGINT,
    next_sync_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- The administrator's switch: publish this space's directory to other spaces at all.
ALTER TABLE space ADD COLUMN directory_publish BIGINT NOT NULL DEFAULT 1;
