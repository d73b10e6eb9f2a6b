-- Whether an item's sync runs now, on any worker or node.
create or replace function north.plaid_syncing(p_job bigint)
returns boolean
language sql stable as $$
    select p_job is not null
       and exists (select 1 from north.jobs j
                   where j.id = p_job and j.done_at is null
                     and j.leased_until > now())
$$;
