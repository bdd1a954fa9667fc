-- The directory's words are matched in memory (`directory::index`), from the normalised
-- words each entry keeps in `fts_a` to `fts_d`: the tsvector column, its GIN index, the narrow
-- matching table of 0021 and its triggers are no longer read, only written, so they go.
DROP TRIGGER IF EXISTS directory_search_insert ON directory_entries;
DROP TRIGGER IF EXISTS directory_search_update ON directory_entries;
DROP FUNCTION IF EXISTS directory_search_sync();
DROP TABLE IF EXISTS directory_search;
DROP INDEX IF EXISTS directory_entries_search;
ALTER TABLE directory_entries DROP COLUMN IF EXISTS search;
