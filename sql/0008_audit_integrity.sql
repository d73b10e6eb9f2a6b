-- The audit log's integrity against the application's own credentials and
-- against whoever can write the database (issue: audit integrity).
--
-- 1. The runtime role: nginx connects as north_app (made by whoever runs
--    the cluster: build.sh for the embedded one, the deployment for RDS),
--    which reads and writes the application's tables but not the audit
--    log: that it only reads, and appends to through audit_append(), which
--    runs as the owner. The owner (the role that runs these migrations)
--    is not nginx's.
-- 2. Keyed chains: a writer with north_audit_chain_key links each record
--    to the next by HMAC-SHA256 (its records say "mac":"hmac-sha256"). The
--    key is not in the database: a forged row and re-hashed successors no
--    longer link. audit_verify(key) checks it.
-- 3. Checkpoints: at most once a second the writers append the last record
--    they stored (chain, seq, HMAC) to checkpoints.log beside their spool,
--    outside the database; audit_verify(key, checkpoints) finds rows
--    removed from a chain's end.

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        grant usage on schema north to north_app;
        grant select, insert, update, delete on all tables in schema north
            to north_app;
        grant usage, select on all sequences in schema north to north_app;
        alter default privileges in schema north
            grant select, insert, update, delete on tables to north_app;
        alter default privileges in schema north
            grant usage, select on sequences to north_app;
        revoke insert, update, delete, truncate on north.audit_log
            from north_app;
    end if;
end $$;


drop function if exists north.audit_verify();

