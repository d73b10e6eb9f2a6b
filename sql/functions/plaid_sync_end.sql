-- The sync ends: the lease goes, and the item's health after a login
-- error. An attempt that lost its lease leaves both to the one that holds
-- it now.
create or replace function north.plaid_sync_end(p_item uuid, p_job bigint,
    p_attempt integer, p_health text, p_detail text)
returns void
language sql as $$
    update north.plaid_items
    set sync_job = null,
        health = coalesce(p_health, health),
        health_detail = case when p_health is null then health_detail
                             else p_detail end
    where id = p_item and sync_job = p_job
      and north.job_held(p_job, p_attempt)
$$;
