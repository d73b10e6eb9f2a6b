-- GET /v1/sync?full=1 (and with no cursor): the user's whole state, a page
-- at a time in (entity, id) order after (p_entity, p_id). p_xid is where
-- the feed goes on once the last page is read: taken at the first page
-- (null), below every transaction then running, so a change made while
-- the pages are read is handed again by the feed, never lost.
create or replace function north.sync_full(p_user uuid, p_entity text,
    p_id uuid, p_xid xid8, p_limit integer)
returns table (changes text, has_more boolean, entity text, id uuid,
               xid xid8)
language plpgsql stable as $$
declare
    v_page north.sync_changes[];
    v_more boolean;
    v_last north.sync_changes;
begin
    select array_agg(c order by c.entity, c.id) into v_page
    from (select * from north.sync_changes c
          where c.user_id = p_user and c.op = 'upsert'
            and (c.entity, c.id) > (coalesce(p_entity, ''),
                                    coalesce(p_id, '00000000-0000-0000-0000-000000000000'))
          order by c.entity, c.id
          limit p_limit + 1) c;

    v_more := coalesce(array_length(v_page, 1), 0) > p_limit;
    v_page := coalesce(v_page[1:p_limit], '{}');
    v_last := v_page[array_length(v_page, 1)];

    return query
        select north.sync_page_json(p_user, v_page), v_more, v_last.entity,
               v_last.id,
               coalesce(p_xid, pg_snapshot_xmin(pg_current_snapshot()));
end
$$;
