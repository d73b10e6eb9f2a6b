-- The change log's writer: a statement trigger on each synced table (its
-- entity in north.sync_entities is the trigger's argument). An insert or
-- update rewrites the entity's row in north.sync_changes with the fields
-- it changed (none: no change is recorded), their clocks and the new
-- version; a delete leaves a tombstone. Each field's clock is the server's,
-- but for the entity an offline edit writes (north.sync_apply() sets
-- north.sync_target "entity/id", north.sync_hlc and north.sync_fields):
-- there the fields the edit won bear the device's clock, even those whose
-- value it left as it was (a clock that lost to the edit must not win
-- later); rows the write changed besides (a rule's transactions) are the
-- server's doing.
-- Every user with a change is notified on channel north_sync, in the same
-- transaction: the stream learns of it when it commits.
create or replace function north.sync_track()
returns trigger
language plpgsql
security definer                    -- the runtime role may not write the log
set search_path = north, pg_catalog
as $$
declare
    e       north.sync_entities;
    v_hlc   text := nullif(current_setting('north.sync_hlc', true), '');
    v_target text := coalesce(current_setting('north.sync_target', true), '');
    v_won   text[] := string_to_array(
                          nullif(current_setting('north.sync_fields', true), ''),
                          ',');
    v_rows  text;
    v_users uuid[];
    u       uuid;
begin
    select * into e from north.sync_entities where entity = tg_argv[0];

    if tg_op = 'DELETE' then
        execute format($q$
            with c as (
                insert into north.sync_changes as c (user_id, entity, id, op,
                    version, fields, clocks, versions)
                select o.%1$I, %2$L, o.%3$I, 'delete', 1, '{}', '{}', '{}'
                from old_rows o join north.users u on u.id = o.%1$I
                on conflict (user_id, entity, id) do update set
                    op = 'delete', version = c.version + 1, xid = excluded.xid,
                    seq = excluded.seq, fields = '{}',
                    changed_at = excluded.changed_at
                returning c.user_id)
            select array_agg(distinct user_id) from c $q$,
            e.user_col, e.entity, e.id_col)
        into v_users;
    else
        v_rows := case tg_op
            when 'INSERT' then
                'from new_rows n0 cross join lateral'
                ' (select to_jsonb(n0) as n, null::jsonb as o) j'
            else format('from new_rows n0 join old_rows o0 on o0.%1$I = n0.%1$I'
                        ' cross join lateral'
                        ' (select to_jsonb(n0) as n, to_jsonb(o0) as o) j',
                        e.id_col)
            end;

        execute format($q$
            with d as (
                select x.user_id, x.id, x.device,
                       array(select f from unnest($1::text[]) f
                             where j.o is null or j.o->f is distinct from j.n->f
                                or (x.device and f = any ($4)))
                           as changed
                %4$s
                cross join lateral (
                    select (j.n->>%1$L)::uuid as user_id,
                           (j.n->>%3$L)::uuid as id,
                           $2 is not null
                           and %2$L || '/' || (j.n->>%3$L) = $3 as device) x),
            -- the entity's clocks and versions as they become: read first
            -- (a writer of the same entity waits on its row until this
            -- transaction ends), so that the update below only stores them
            w as (
                select d.user_id, d.id, d.changed,
                       coalesce(c0.version, 0) + 1 as version,
                       coalesce(c0.clocks, '{}') || (
                           select jsonb_object_agg(f, case when d.device then $2
                                      else north.sync_hlc_next(c0.clocks->>f) end)
                           from unnest(d.changed) f) as clocks,
                       coalesce(c0.versions, '{}') || (
                           select jsonb_object_agg(f, coalesce(c0.version, 0) + 1)
                           from unnest(d.changed) f) as versions
                from d
                join north.users u on u.id = d.user_id
                left join north.sync_changes c0
                       on c0.user_id = d.user_id and c0.entity = %2$L
                      and c0.id = d.id
                where cardinality(d.changed) > 0),
            c as (
                insert into north.sync_changes as c (user_id, entity, id, op,
                    version, fields, clocks, versions)
                select w.user_id, %2$L, w.id, 'upsert', w.version, w.changed,
                       w.clocks, w.versions
                from w
                on conflict (user_id, entity, id) do update set
                    op = 'upsert', version = excluded.version,
                    xid = excluded.xid, seq = excluded.seq,
                    fields = excluded.fields, clocks = excluded.clocks,
                    versions = excluded.versions,
                    changed_at = excluded.changed_at
                returning c.user_id)
            select array_agg(distinct user_id) from c $q$,
            e.user_col, e.entity, e.id_col, v_rows)
        into v_users using e.fields, v_hlc, v_target, v_won;
    end if;

    foreach u in array coalesce(v_users, '{}') loop
        perform pg_notify('north_sync', u::text);
    end loop;

    return null;
end
$$;

do $$
declare
    e north.sync_entities;
begin
    for e in select * from north.sync_entities loop
        execute format('drop trigger if exists sync_insert on %1$s;
            create trigger sync_insert after insert on %1$s
                referencing new table as new_rows
                for each statement execute function north.sync_track(%2$L);
            drop trigger if exists sync_update on %1$s;
            create trigger sync_update after update on %1$s
                referencing old table as old_rows new table as new_rows
                for each statement execute function north.sync_track(%2$L);
            drop trigger if exists sync_delete on %1$s;
            create trigger sync_delete after delete on %1$s
                referencing old table as old_rows
                for each statement execute function north.sync_track(%2$L)',
            e.tbl, e.entity);
    end loop;
end $$;
