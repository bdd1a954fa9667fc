-- The delivery queue reads one host's due rows in order (to claim them) and counts its leased
-- rows (to keep within the per-host limit); these indexes make both a short range read instead
-- of a scan of every queued row of the host. They cover what deliveries_host(host, state) did.
DROP INDEX deliveries_host;
CREATE INDEX deliveries_host_due ON deliveries(host, state, next_attempt_at);
CREATE INDEX deliveries_host_leased ON deliveries(host, state, lease_until);
