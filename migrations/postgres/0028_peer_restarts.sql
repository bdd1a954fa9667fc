-- How many times a peer's directory was set to be read again from its start (a lifted limit,
-- a lifted block): a sync round that began before such a restart does not save its cursor
-- over it (`directory::store::set_peer_outcome`).
ALTER TABLE peers ADD COLUMN restarts BIGINT NOT NULL DEFAULT 0;
