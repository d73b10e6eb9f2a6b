-- PIPEDA audit log: who touched whose personal information, when, why and
-- with what outcome. Append-only and hash-chained: every writer (an nginx
-- worker) numbers its records and puts in each the SHA-256 of the one
-- before; the row keeps the exact text that was hashed. north.audit_verify()
-- finds an edited, removed or forged row.

set search_path = north, public;

create table north.audit_log (
    id         bigint      generated always as identity primary key,
    record_id  text        not null unique,   -- replays are idempotent
    chain      text        not null,          -- the writer: node:pid:start
    seq        bigint      not null,          -- 1, 2, 3... in its chain
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
    prev_hash  bytea,                         -- the chain's row before
    hash       bytea       not null,          -- SHA-256 of record
    record     text        not null,          -- the JSON the writer hashed
    unique (chain, seq)
);

create index audit_log_subject_idx on north.audit_log (subject, at);


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


-- Stores a batch: record texts one a line (JSON escapes any newline within),
-- each as its writer hashed it. A record already stored is skipped. Returns
-- the number of rows added.
create function north.audit_append(p_records text)
returns integer
language sql
set search_path = north, public     -- wherever pgcrypto's digest() lives
as $$
    with added as (
        insert into north.audit_log (record_id, chain, seq, at, request_id,
            actor, subject, method, route, category, purpose, status, client,
            node, region, prev_hash, hash, record)
        select x.record_id, x.chain, x.seq,
               to_timestamp(x.at_ms / 1000), x.request_id, x.actor,
               x.subject, x.method, x.route, x.category, x.purpose, x.status,
               x.client, x.node, x.region, decode(nullif(x.prev, ''), 'hex'),
               digest(t, 'sha256'), t
        -- each text parsed once (a lateral "t::jsonb" would be re-parsed
        -- for every field it is read from)
        from string_to_table(p_records, E'\n') as e(t)
        cross join lateral jsonb_to_record(t::jsonb) as x(record_id text,
            chain text, seq bigint, prev text, at_ms double precision,
            request_id text, actor text, subject uuid, method text,
            route text, category text, purpose text, status smallint,
            client inet, node text, region text)
        where t <> ''
        on conflict do nothing
        returning 1
    )
    select count(*)::integer from added
$$;


-- Walks every chain in order; returns the first broken row of each broken
-- chain (none when all hold).
create function north.audit_verify()
returns table (chain text, seq bigint, problem text)
language plpgsql stable
set search_path = north, public
as $$
declare
    c     text;
    a     north.audit_log;
    j     jsonb;
    prev  bytea;
    expect bigint;
begin
    for c in select distinct l.chain from north.audit_log l loop
        prev := null;
        expect := 1;

        for a in select * from north.audit_log l where l.chain = c
                 order by l.seq loop
            chain := c;
            seq := a.seq;
            j := a.record::jsonb;

            if a.seq <> expect then
                problem := 'rows ' || expect || ' to ' || a.seq - 1
                           || ' are missing (removed?)';
            elsif a.hash <> digest(a.record, 'sha256') then
                problem := 'its record does not match its hash (edited?)';
            elsif a.prev_hash is distinct from prev
                  or coalesce(j->>'prev', '') <> coalesce(encode(prev, 'hex'), '') then
                problem := 'does not follow the row before it (forged?)';
            elsif (a.record_id, a.chain, a.seq, a.at, a.request_id, a.actor,
                   a.subject, a.method, a.route, a.category, a.purpose,
                   a.status, a.client, a.node, a.region)
                  is distinct from
                  (j->>'record_id', j->>'chain', (j->>'seq')::bigint,
                   to_timestamp((j->>'at_ms')::double precision / 1000),
                   j->>'request_id', j->>'actor', (j->>'subject')::uuid,
                   j->>'method', j->>'route', j->>'category', j->>'purpose',
                   (j->>'status')::smallint, (j->>'client')::inet,
                   j->>'node', j->>'region') then
                problem := 'its columns differ from its record (edited?)';
            else
                prev := a.hash;
                expect := a.seq + 1;
                continue;
            end if;

            return next;
            exit;
        end loop;
    end loop;
end $$;
