-- Hands each consumer the events after its position, at most p_limit, in
-- the order of their transactions, and moves the position past them in
-- the same transaction: a consumer handles each event once, and a crash
-- hands the batch again whole. Only events below the oldest transaction
-- still running are handed: one that commits late cannot be skipped. A
-- consumer another worker is feeding is passed over. A batch a consumer
-- fails on is handed again an event at a time, and an event it fails on
-- alone is set aside in north.event_failures (with a warning in the
-- server's log): one bad event holds back neither the later ones nor the
-- other consumers. Returns how many events were handed in all.
create or replace function north.events_consume(p_limit integer)
returns bigint
language plpgsql as $$
declare
    -- taken first, before this transaction holds an id of its own
    v_below xid8 := pg_snapshot_xmin(pg_current_snapshot());
    c       north.event_consumers;
    e       north.events;
    v_batch north.events[];
    v_last  north.events;
    v_error text;
    total   bigint := 0;
begin
    for c in select * from north.event_consumers order by name
             for update skip locked
    loop
        select array_agg(x order by x.xid, x.id) into v_batch
        from (select * from north.events x
              where (x.xid, x.id) > (c.after_xid, c.after_id)
                and x.xid < v_below
              order by x.xid, x.id
              limit p_limit) x;

        continue when v_batch is null;

        begin
            execute format('select %s($1)', c.fn::regproc) using v_batch;
        exception when others then
            foreach e in array v_batch loop
                begin
                    execute format('select %s($1)', c.fn::regproc)
                        using array[e];
                exception when others then
                    get stacked diagnostics v_error = message_text;
                    raise warning 'north: consumer % set event % aside: %',
                                  c.name, e.id, v_error;
                    insert into north.event_failures (consumer, event_id,
                                                      error)
                    values (c.name, e.id, v_error)
                    on conflict do nothing;
                end;
            end loop;
        end;

        v_last := v_batch[array_length(v_batch, 1)];

        update north.event_consumers
        set after_xid = v_last.xid, after_id = v_last.id,
            handled = handled + array_length(v_batch, 1), updated_at = now()
        where name = c.name;

        total := total + array_length(v_batch, 1);
    end loop;

    return total;
end $$;
