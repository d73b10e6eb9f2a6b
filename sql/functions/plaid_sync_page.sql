-- A page of /transactions/sync, applied by the attempt that holds the
-- item's sync lease, and by no other.
create or replace function north.plaid_sync_page(p_item uuid, p_job bigint,
    p_attempt integer, p_page jsonb)
returns table (has_more boolean, next_cursor text, rows integer)
language plpgsql as $$
begin
    -- the item first: a new attempt that takes it over waits for this page
    if not exists (select 1 from north.plaid_items
                   where id = p_item and sync_job = p_job for update)
       or not north.job_held(p_job, p_attempt)
    then
        raise exception 'the sync of plaid item % lost its lease', p_item
            using errcode = 'lock_not_available';
    end if;

    return query select * from north.plaid_apply_page(p_item, p_page);
end $$;
