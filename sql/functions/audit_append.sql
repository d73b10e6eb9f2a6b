-- Stores a batch: record texts one a line (JSON escapes any newline within),
-- each as its writer hashed it. A record already stored is skipped. Returns
-- the number of rows added.
create or replace function north.audit_append(p_records text)
returns integer
language plpgsql
set search_path = north, public     -- wherever pgcrypto's digest() lives
as $$
declare
    n integer;
begin
    insert into north.audit_log (record_id, chain, seq, at, request_id,
        actor, subject, method, route, category, purpose, status, client,
        node, region, prev_hash, hash, record)
    select x.record_id, x.chain, x.seq,
           to_timestamp(x.at_ms / 1000), x.request_id, x.actor,
           x.subject, x.method, x.route, x.category, x.purpose, x.status,
           x.client, x.node, x.region, decode(nullif(x.prev, ''), 'hex'),
           digest(t, 'sha256'), t
    -- each text parsed once, as json: building a jsonb of it (to read
    -- sixteen fields and throw it away) cost more than the insert
    from string_to_table(p_records, E'\n') as e(t)
    cross join lateral json_to_record(t::json) as x(record_id text,
        chain text, seq bigint, prev text, at_ms double precision,
        request_id text, actor text, subject uuid, method text,
        route text, category text, purpose text, status smallint,
        client inet, node text, region text)
    where t <> ''
    on conflict do nothing;

    get diagnostics n = row_count;

    return n;
end
$$;

-- the append runs as the owner: the runtime role has no INSERT of its own
alter function north.audit_append(text) security definer;

revoke execute on function north.audit_append(text) from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        grant execute on function north.audit_append(text) to north_app;
    end if;
end $$;
