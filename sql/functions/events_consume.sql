-- Hands each consumer the events after its position, at most p_limit, in
-- the order of their transactions, and moves the position past them in
-- the same transaction: a consumer handles each event once, and a crash
-- hands the batch again whole. Only events below the oldest transaction
-- still running are handed: one that commits late cannot be skipped. A
-- consumer another worker is feeding is passed over. Returns how many
-- events were handed in all.
create or replace function north.events_consume(p_limit integer)
returns bigint
language plpgsql as $$
declare
    -- taken first, before this transaction holds an id of its own
    v_below xid8 := pg_snapshot_xmin(pg_current_snapshot());
    c       north.event_consumers;
    v_batch north.events[];
    v_last  north.events;
    total   bigint := 0;
begin
    for c in select * from north.event_consumers order by name
             for update skip locked
    loop
        select array_agg(e order by e.xid, e.id) into v_batch
        from (select * from north.events e
              where (e.xid, e.id) > (c.after_xid, c.after_id)
                and e.xid < v_below
              order by e.xid, e.id
              limit p_limit) e;

        continue when v_batch is null;

        execute format('select %s($1)', c.fn::regproc) using v_batch;

        v_last := v_batch[array_length(v_batch, 1)];

        update north.event_consumers
        set after_xid = v_last.xid, after_id = v_last.id,
            handled = handled + array_length(v_batch, 1), updated_at = now()
        where name = c.name;

        total := total + array_length(v_batch, 1);
    end loop;

    return total;
end $$;
