-- The directory's words are matched in memory (`directory::index`), from the normalised
-- words each entry keeps in `fts_a` to `fts_d`: the full-text index and the triggers that
-- kept it in step are no longer read, only written, so they go.
DROP TRIGGER IF EXISTS directory_fts_insert;
DROP TRIGGER IF EXISTS directory_fts_delete;
DROP TRIGGER IF EXISTS directory_fts_update;
DROP TABLE IF EXISTS directory_fts;
