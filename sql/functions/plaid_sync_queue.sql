-- Queues a sync of an item unless one is already waiting.
create or replace function north.plaid_sync_queue(p_item uuid)
returns void
language sql as $$
    insert into north.jobs (kind, user_id, ref)
    select 'plaid.sync', i.user_id, i.id::text
    from north.plaid_items i
    where i.id = p_item
      and not exists (select 1 from north.jobs j
                      where j.kind = 'plaid.sync' and j.ref = p_item::text
                        and j.done_at is null
                        and (j.leased_until is null
                             or j.leased_until < now()))
$$;
