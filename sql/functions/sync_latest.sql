-- The stream's look: the user's newest change after (p_xid, p_seq) that the
-- feed would hand now, or the position given when there is none; pending
-- as north.sync_feed() says it.
create or replace function north.sync_latest(p_user uuid, p_xid xid8,
    p_seq bigint)
returns table (xid xid8, seq bigint, pending boolean)
language plpgsql stable as $$
declare
    v_below xid8 := pg_snapshot_xmin(pg_current_snapshot());
begin
    return query
        select coalesce(l.xid, p_xid), coalesce(l.seq, p_seq),
               exists (select 1 from north.sync_changes c
                       where c.user_id = p_user and c.xid >= v_below
                         and (c.xid, c.seq) > (p_xid, p_seq))
        from (select null) one
        left join (select c.xid, c.seq from north.sync_changes c
                   where c.user_id = p_user and c.xid < v_below
                     and (c.xid, c.seq) > (p_xid, p_seq)
                   order by c.xid desc, c.seq desc limit 1) l on true;
end
$$;
