-- Walks every chain in order; returns the first broken row of each broken
-- chain (none when all hold). A chain cut by north.audit_retire() starts
-- after its retired rows, with the link north.audit_retired noted. With p_key, keyed chains are checked link by
-- link (without it only their order and columns are); with p_checkpoints
-- (lines "chain seq hmac"), each chain must hold its last checkpointed row.
create or replace function north.audit_verify(p_key bytea default null,
    p_checkpoints text default null)
returns table (chain text, seq bigint, problem text)
language plpgsql stable
set search_path = north, public
as $$
declare
    c      text;
    a      north.audit_log;
    j      jsonb;
    prev   bytea;
    link   bytea;
    expect bigint;
    keyed  boolean;
    cp     record;
    cut    north.audit_retired;
begin
    for c in select distinct l.chain from north.audit_log l loop
        select * into cut from north.audit_retired r where r.chain = c;
        prev := cut.next_prev;
        expect := coalesce(cut.seq, 0) + 1;

        for a in select * from north.audit_log l where l.chain = c
                 order by l.seq loop
            chain := c;
            seq := a.seq;
            j := a.record::jsonb;
            keyed := j->>'mac' = 'hmac-sha256';

            if a.seq <> expect then
                problem := 'rows ' || expect || ' to ' || a.seq - 1
                           || ' are missing (removed?)';
            elsif a.hash <> digest(a.record, 'sha256') then
                problem := 'its record does not match its hash (edited?)';
            elsif a.prev_hash is distinct from decode(nullif(j->>'prev', ''), 'hex')
                  or ((not keyed or p_key is not null)
                      -- the first row after a cut whose next was not
                      -- stored yet: its link went with the row before
                      and not coalesce(a.seq = cut.seq + 1
                                       and cut.next_prev is null, false)
                      and a.prev_hash is distinct from prev) then
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
                link := case when keyed and p_key is not null
                             then hmac(convert_to(a.record, 'UTF8'), p_key, 'sha256')
                             when keyed then null
                             else a.hash end;
                prev := link;
                expect := a.seq + 1;
                continue;
            end if;

            return next;
            exit;
        end loop;
    end loop;

    if p_checkpoints is null then
        return;
    end if;

    -- each chain's last checkpoint: that row, with that HMAC
    for cp in
        select distinct on (x.chain) x.chain, x.seq, x.mac
        from (select split_part(l, ' ', 1) as chain,
                     split_part(l, ' ', 2)::bigint as seq,
                     split_part(l, ' ', 3) as mac
              from string_to_table(p_checkpoints, E'\n') as l
              where l ~ '^\S+ [0-9]+ [0-9a-f]{64}$') x
        order by x.chain, x.seq desc
    loop
        select * into a from north.audit_log l
        where l.chain = cp.chain and l.seq = cp.seq;

        chain := cp.chain;
        seq := cp.seq;

        if not found then
            -- unless retention took it
            if not exists (select 1 from north.audit_retired r
                           where r.chain = cp.chain and r.seq >= cp.seq) then
                problem := 'stored up to row ' || cp.seq
                           || ' (checkpoint), which is missing (truncated?)';
                return next;
            end if;
        elsif p_key is not null
              and encode(hmac(convert_to(a.record, 'UTF8'), p_key, 'sha256'), 'hex')
                  <> cp.mac then
            problem := 'does not match its checkpoint (forged?)';
            return next;
        end if;
    end loop;
end $$;
