-- Inbound activities are claimed with a lease while they are processed, so several processes
-- can share the work and a crashed process's claims expire.
ALTER TABLE inbox_activities ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
