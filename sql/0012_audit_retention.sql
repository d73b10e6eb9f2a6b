-- How long the audit log keeps a record (issue: performance, audit).
--
-- PIPEDA 4.5.3: personal information no longer needed is destroyed, and an
-- organisation sets a maximum retention. north_audit_retention is that
-- maximum; the job runner's sweep calls north.audit_retire(), which cuts
-- each chain's rows older than it, oldest first, and notes here where the
-- chain now starts, so that north.audit_verify() tells a retired row from
-- a removed one.

create table north.audit_retired (
    chain      text        primary key,
    seq        bigint      not null,    -- rows 1..seq of the chain are gone
    next_prev  bytea,                   -- prev_hash of row seq + 1 as it
                                        -- was stored then (NULL: not yet)
    retired_at timestamptz not null default now()
);

-- north.audit_retire() runs as the owner, which 0003 kept from deleting:
-- it may again, and the append-only trigger still refuses every delete
-- but that function's
grant delete on north.audit_log to current_user;

-- what the sweep asks ("older than"), for next to nothing per insert
create index audit_log_at_brin on north.audit_log using brin (at);

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        revoke insert, update, delete, truncate on north.audit_retired
            from north_app;
    end if;
end $$;
