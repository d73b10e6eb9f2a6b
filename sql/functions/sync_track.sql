-- The change log's writer: a statement trigger on each synced table (its
-- entity in north.sync_entities is the trigger's argument). An insert or
-- update rewrites the entity's row in north.sync_changes with the fields
-- it changed (none: no change is recorded), their clocks and the new
-- version; a delete leaves a tombstone. Each field's clock is the device's
-- when north.sync_apply() writes it (north.sync_hlc), else the server's.
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
                select (j.n->>%1$L)::uuid as user_id, (j.n->>%3$L)::uuid as id,
                       array(select f from unnest($1::text[]) f
                             where j.o is null or j.o->f is distinct from j.n->f)
                           as changed
                %4$s),
            c as (
                insert into north.sync_changes as c (user_id, entity, id, op,
                    version, fields, clocks, versions)
                select d.user_id, %2$L, d.id, 'upsert', 1, d.changed,
                       (select jsonb_object_agg(f, coalesce($2,
                                   north.sync_hlc_next(null)))
                        from unnest(d.changed) f),
                       (select jsonb_object_agg(f, 1) from unnest(d.changed) f)
                from d join north.users u on u.id = d.user_id
                where cardinality(d.changed) > 0
                on conflict (user_id, entity, id) do update set
                    op = 'upsert', version = c.version + 1, xid = excluded.xid,
                    seq = excluded.seq, fields = excluded.fields,
                    clocks = c.clocks || (
                        select jsonb_object_agg(f, coalesce($2,
                                   north.sync_hlc_next(c.clocks->>f)))
                        from unnest(excluded.fields) f),
                    versions = c.versions || (
                        select jsonb_object_agg(f, c.version + 1)
                        from unnest(excluded.fields) f),
                    changed_at = excluded.changed_at
                returning c.user_id)
            select array_agg(distinct user_id) from c $q$,
            e.user_col, e.entity, e.id_col, v_rows)
        into v_users using e.fields, v_hlc;
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
