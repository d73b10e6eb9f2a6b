-- Whether an attempt still holds its job's lease. It locks nothing: the
-- renewals must never wait for the work. (An item's sync is serialised by
-- the item's row: a new attempt takes the item in plaid_sync_begin only
-- after a page being applied by the old one is committed.)
create or replace function north.job_held(p_id bigint, p_attempt integer)
returns boolean
language sql stable as $$
    select exists (select 1 from north.jobs
                   where id = p_id and attempts = p_attempt
                     and done_at is null and leased_until > now())
$$;
