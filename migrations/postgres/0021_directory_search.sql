-- Full-text matching on a narrow table: each directory entry's id and its words, nothing else,
-- with its own GIN index. A common word matches thousands of entries, and every match is read
-- back from the table the index points into (a bitmap heap scan): here that is a small row per
-- entry instead of the whole wide row of `directory_entries`. The words are stored without
-- positions and weights (`strip`): matching needs neither (Guildhall ranks the matches itself,
-- in `directory::index`), and they are most of a tsvector's size. Kept in step by triggers: an
-- entry with words has its row, a removed entry (its text emptied) has none.
CREATE TABLE directory_search (
    entry_id BIGINT PRIMARY KEY REFERENCES directory_entries(id) ON DELETE CASCADE,
    search tsvector NOT NULL
);
INSERT INTO directory_search (entry_id, search)
    SELECT id, strip(search) FROM directory_entries WHERE search <> ''::tsvector;
CREATE INDEX directory_search_words ON directory_search USING GIN (search);

CREATE FUNCTION directory_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.search = ''::tsvector THEN
        DELETE FROM directory_search WHERE entry_id = NEW.id;
    ELSE
        INSERT INTO directory_search (entry_id, search) VALUES (NEW.id, strip(NEW.search))
            ON CONFLICT (entry_id) DO UPDATE SET search = EXCLUDED.search;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER directory_search_insert AFTER INSERT ON directory_entries
    FOR EACH ROW EXECUTE FUNCTION directory_search_sync();
CREATE TRIGGER directory_search_update AFTER UPDATE ON directory_entries
    FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search)
    EXECUTE FUNCTION directory_search_sync();
