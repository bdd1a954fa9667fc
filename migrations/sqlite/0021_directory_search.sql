-- Nothing to do on SQLite: its full-text index (`directory_fts`, FTS5) already holds only the
-- entry id and the words. On PostgreSQL this migration moves the matching to a narrow table
-- (see migrations/postgres/0021_directory_search.sql).
SELECT 1;
