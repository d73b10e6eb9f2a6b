-- Removes the audit records older than p_keep: in each chain, the rows up
-- to its last one older than that (a chain's rows are in time order), and
-- notes in north.audit_retired where the chain resumes. At most 50,000 rows
-- a call (the next sweep goes on), one node at a time; nothing when p_keep
-- is not positive. Returns the rows removed.
create or replace function north.audit_retire(p_keep interval)
returns bigint
language plpgsql
security definer                    -- the runtime role may not delete
set search_path = north, public
as $$
declare
    c       record;
    n       bigint;
    upto    bigint;
    removed bigint := 0;
begin
    if p_keep is null or p_keep <= interval '0'
       or not pg_try_advisory_xact_lock(hashtext('north.audit_retire'))
    then
        return 0;
    end if;

    -- the append-only trigger lets this transaction's deletes through
    perform set_config('north.audit_retiring', 'on', true);

    for c in
        select l.chain, min(l.seq) as first, max(l.seq) as last
        from north.audit_log l
        where l.at < now() - p_keep
        group by l.chain
    loop
        upto := least(c.last, c.first + 50000 - removed - 1);

        delete from north.audit_log l
        where l.chain = c.chain and l.seq <= upto;
        get diagnostics n = row_count;
        removed := removed + n;

        insert into north.audit_retired as r (chain, seq, next_prev)
        values (c.chain, upto,
                (select l.prev_hash from north.audit_log l
                 where l.chain = c.chain and l.seq = upto + 1))
        on conflict (chain) do update
        set seq = excluded.seq, next_prev = excluded.next_prev,
            retired_at = now();

        exit when removed >= 50000;
    end loop;

    perform set_config('north.audit_retiring', 'off', true);

    return removed;
end
$$;

revoke execute on function north.audit_retire(interval) from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        grant execute on function north.audit_retire(interval) to north_app;
    end if;
end $$;
