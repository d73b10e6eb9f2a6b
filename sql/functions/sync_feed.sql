-- GET /v1/sync from a cursor: the user's changes after (p_xid, p_seq), at
-- most p_limit, in the order of their transactions. Only changes below the
-- oldest transaction still running are handed (an earlier transaction may
-- yet commit): no change is ever skipped. status: ok | resync (a delete
-- after the cursor was removed by retention). The cursor to go on from is
-- the last change handed, or the one given when none was. pending: a
-- change after it is committed but not yet handed (a transaction begun
-- before it still runs): a waiting client looks again soon.
drop function if exists north.sync_feed(uuid, xid8, bigint, integer);
create function north.sync_feed(p_user uuid, p_xid xid8,
    p_seq bigint, p_limit integer)
returns table (status text, changes text, has_more boolean, xid xid8,
               seq bigint, pending boolean)
language plpgsql stable as $$
declare
    v_below xid8 := pg_snapshot_xmin(pg_current_snapshot());
    v_page  north.sync_changes[];
    v_more  boolean;
begin
    if exists (select 1 from north.sync_pruned p
               where p.user_id = p_user and (p.xid, p.seq) > (p_xid, p_seq))
    then
        return query select 'resync'::text, null::text, false, p_xid, p_seq,
                            false;
        return;
    end if;

    select array_agg(c order by c.xid, c.seq) into v_page
    from (select * from north.sync_changes c
          where c.user_id = p_user and (c.xid, c.seq) > (p_xid, p_seq)
            and c.xid < v_below
          order by c.xid, c.seq
          limit p_limit + 1) c;

    v_more := coalesce(array_length(v_page, 1), 0) > p_limit;
    v_page := coalesce(v_page[1:p_limit], '{}');

    return query
        select 'ok'::text, north.sync_page_json(p_user, v_page), v_more,
               coalesce(v_page[array_length(v_page, 1)].xid, p_xid),
               coalesce(v_page[array_length(v_page, 1)].seq, p_seq),
               exists (select 1 from north.sync_changes c
                       where c.user_id = p_user and c.xid >= v_below
                         and (c.xid, c.seq) > (p_xid, p_seq));
end
$$;
