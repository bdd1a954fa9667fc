-- Facet filters and counts are computed by the in-memory facet index (src/directory/index),
-- which reads skills from `directory_entries.skills`: the skill rows and the per-facet indexes
-- served only the SQL counts it replaced, and every directory write paid for them.
DROP TABLE directory_skills;
DROP INDEX directory_entries_kind;
DROP INDEX directory_entries_industry;
DROP INDEX directory_entries_city;
DROP INDEX directory_entries_country;
DROP INDEX directory_entries_space;
DROP INDEX directory_entries_hiring;
DROP INDEX directory_entries_collaborate;
