-- A page of the change log as the feed shows it: a JSON array of
-- {entity, id, op, version, fields, hlc, data}: hlc the latest clock of its
-- fields (a device moves its own clock past it), data the entity's current
-- row (its synced fields, instants as the wire has them; none for a
-- tombstone). One statement: the page joined to a union of one read for
-- each kind of entity in it.
create or replace function north.sync_page_json(p_user uuid,
    p_page north.sync_changes[])
returns text
language plpgsql stable as $$
declare
    v_rows text;
    v_json text;
begin
    select string_agg(format(
               'select %1$L::text as entity, t.%2$I as id,
                       (select json_object_agg(f, j->f)
                        from unnest(%5$L::text[]) f) as data
                from %3$s t cross join lateral %6$s j
                where t.%2$I = any (array(select c.id from unnest($1) c
                                          where c.entity = %1$L
                                            and c.op = ''upsert''))
                  and t.%4$I = $2',
               e.entity, e.id_col, e.tbl, e.user_col, e.fields,
               -- instants rewritten only where there are some
               case when exists (select 1 from pg_attribute a
                                 where a.attrelid = e.tbl
                                   and a.attname = any (e.fields)
                                   and a.atttypid = 'timestamptz'::regtype)
                    then 'north.json_times(to_jsonb(t))'
                    else 'to_jsonb(t)' end),
           ' union all ')
    into v_rows
    from north.sync_entities e
    where e.entity in (select c.entity from unnest(p_page) c);

    if v_rows is null then
        return '[]';
    end if;

    -- the rows read once (a join the planner sized by unnest()'s guess
    -- ran the reads again for each change of the page)
    execute format(
        'with r as materialized (%s)
         select coalesce(json_agg(json_build_object(''entity'', x.entity,
                    ''id'', x.id, ''op'', x.op, ''version'', x.version,
                    ''fields'', x.fields,
                    ''hlc'', (select max(h) from jsonb_each_text(x.clocks) k(f, h)),
                    ''data'', r.data)
                order by x.i), ''[]'')::text
         from unnest($1) with ordinality as x(user_id, entity, id, op,
             version, xid, seq, fields, clocks, versions, changed_at, i)
         left join r on r.entity = x.entity and r.id = x.id', v_rows)
    into v_json
    using p_page, p_user;

    return v_json;
end
$$;
