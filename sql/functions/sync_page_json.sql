-- A page of the change log as the feed shows it: a JSON array of
-- {entity, id, op, version, fields, hlc, data}: hlc the latest clock of its
-- fields (a device moves its own clock past it), data the entity's current
-- row (its synced fields, instants as the wire has them; none for a
-- tombstone), read with one query for each kind of entity in the page.
create or replace function north.sync_page_json(p_user uuid,
    p_page north.sync_changes[])
returns text
language plpgsql stable as $$
declare
    e      north.sync_entities;
    v_rows jsonb := '{}';
    v_part jsonb;
begin
    for e in select * from north.sync_entities x
             where x.entity in (select (unnest(p_page)).entity)
    loop
        execute format('select jsonb_object_agg(t.%1$I::text,
                            (select jsonb_object_agg(f, j->f)
                             from unnest($3::text[]) f))
                        from %2$s t
                        cross join lateral %4$s j
                        where t.%1$I = any ($1) and t.%3$I = $2',
                       e.id_col, e.tbl, e.user_col,
                       -- instants rewritten only where there are some
                       case when exists (select 1 from pg_attribute a
                                         where a.attrelid = e.tbl
                                           and a.attname = any (e.fields)
                                           and a.atttypid = 'timestamptz'::regtype)
                            then 'north.json_times(to_jsonb(t))'
                            else 'to_jsonb(t)' end)
        into v_part
        using (select array_agg(c.id) from unnest(p_page) c
               where c.entity = e.entity and c.op = 'upsert'),
              p_user, e.fields;

        v_rows := v_rows || jsonb_build_object(e.entity,
                                               coalesce(v_part, '{}'));
    end loop;

    return coalesce((
        select json_agg(json_build_object('entity', x.entity, 'id', x.id,
                   'op', x.op, 'version', x.version, 'fields', x.fields,
                   'hlc', (select max(h) from jsonb_each_text(x.clocks) k(f, h)),
                   'data', v_rows->x.entity->(x.id::text))
               order by x.i)
        from unnest(p_page) with ordinality as x(user_id, entity, id, op,
            version, xid, seq, fields, clocks, versions, changed_at, i)),
        '[]')::text;
end
$$;
