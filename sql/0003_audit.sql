-- PIPEDA audit log: who touched whose personal information, when, why and
-- with what outcome. Append-only; each row carries the SHA-256 of the row
-- before it in its chain (one chain per node), so an edited or removed row
-- is found by north.audit_verify().

set search_path = north, public;

create table north.audit_log (
    id         bigint      generated always as identity primary key,
    record_id  text        not null unique,   -- the writer's: replays are idempotent
    chain      text        not null,
    at         timestamptz not null,
    request_id text        not null,
    actor      text        not null,          -- user:UUID, system:JOB or anonymous
    subject    uuid,                          -- whose data
    method     text        not null,
    route      text        not null,
    category   text        not null,
    purpose    text        not null,
    status     smallint    not null,
    client     inet,
    node       text        not null,
    region     text        not null,
    prev_hash  bytea,
    hash       bytea       not null
);

create index audit_log_chain_idx on north.audit_log (chain, id);
create index audit_log_subject_idx on north.audit_log (subject, at);


-- What a row's hash covers, in one fixed form.
create function north.audit_row_text(a north.audit_log)
returns text
language sql immutable as $$
    select concat_ws('|', a.record_id, a.chain,
                     (extract(epoch from a.at) * 1000000)::bigint,
                     a.request_id, a.actor, a.subject, a.method, a.route,
                     a.category, a.purpose, a.status, host(a.client), a.node,
                     a.region)
$$;


create function north.audit_refuse_change()
returns trigger
language plpgsql as $$
begin
    raise exception 'north.audit_log is append-only'
        using errcode = 'insufficient_privilege';
end $$;

create trigger audit_log_append_only
    before update or delete on north.audit_log
    for each row execute function north.audit_refuse_change();

create trigger audit_log_no_truncate
    before truncate on north.audit_log
    for each statement execute function north.audit_refuse_change();

-- the application's role may add and read, never change
revoke update, delete, truncate on north.audit_log from current_user;


-- Appends a batch (a JSON array of records) in order, chaining each row to
-- the last of its chain; a record already stored is skipped. Returns the
-- number of rows added. One lock, one look-up and one insert per chain.
create function north.audit_append(p_records jsonb)
returns integer
language plpgsql
set search_path = north, public     -- wherever pgcrypto's digest() lives
as $$
declare
    c     text;
    prev  bytea;
    a     north.audit_log;
    batch north.audit_log[];
    added integer := 0;
begin
    for c in select distinct r->>'chain'
             from jsonb_array_elements(p_records) as e(r) loop

        -- one writer at a time per chain
        perform pg_advisory_xact_lock(hashtext('north.audit_log:' || c));

        select l.hash into prev from north.audit_log l
        where l.chain = c order by l.id desc limit 1;

        batch := '{}';

        for a in
            select null::bigint, r->>'record_id', c,
                   to_timestamp((r->>'at_ms')::double precision / 1000),
                   r->>'request_id', r->>'actor', (r->>'subject')::uuid,
                   r->>'method', r->>'route', r->>'category', r->>'purpose',
                   (r->>'status')::smallint, (r->>'client')::inet,
                   r->>'node', r->>'region', null::bytea, null::bytea
            from jsonb_array_elements(p_records) with ordinality as e(r, n)
            where r->>'chain' = c
              and not exists (select 1 from north.audit_log l
                              where l.record_id = r->>'record_id')
            order by n
        loop
            a.prev_hash := prev;
            a.hash := digest(coalesce(prev, ''::bytea)
                             || convert_to(north.audit_row_text(a), 'UTF8'),
                             'sha256');
            prev := a.hash;
            batch := batch || a;
        end loop;

        insert into north.audit_log (record_id, chain, at, request_id, actor,
            subject, method, route, category, purpose, status, client, node,
            region, prev_hash, hash)
        select b.record_id, b.chain, b.at, b.request_id, b.actor, b.subject,
               b.method, b.route, b.category, b.purpose, b.status, b.client,
               b.node, b.region, b.prev_hash, b.hash
        from unnest(batch) with ordinality as b
        order by ordinality;

        added := added + cardinality(batch);
    end loop;

    return added;
end $$;


-- Walks every chain; returns the first broken row of each broken chain
-- (none when all hold).
create function north.audit_verify()
returns table (chain text, id bigint, problem text)
language plpgsql stable
set search_path = north, public
as $$
declare
    c    text;
    a    north.audit_log;
    prev bytea;
begin
    for c in select distinct l.chain from north.audit_log l loop
        prev := null;

        for a in select * from north.audit_log l where l.chain = c
                 order by l.id loop
            if a.prev_hash is distinct from prev then
                chain := c; id := a.id;
                problem := 'does not follow the row before it (removed?)';
                return next;
                exit;
            end if;

            if a.hash <> digest(coalesce(prev, ''::bytea)
                                || convert_to(north.audit_row_text(a), 'UTF8'),
                                'sha256') then
                chain := c; id := a.id;
                problem := 'its content does not match its hash (edited?)';
                return next;
                exit;
            end if;

            prev := a.hash;
        end loop;
    end loop;
end $$;
