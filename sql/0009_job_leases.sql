-- Short job leases kept alive by their worker, and given back when it
-- leaves (issue: reliability under faults, interrupted Plaid syncs).
--
-- A job is claimed for north_jobs_lease (30 s by default) and its worker
-- renews the lease every third of it while the job runs: a worker that
-- dies is replaced within one lease, however long the job. A worker that
-- leaves (reload, graceful shutdown) stops its job at a safe point and
-- hands it back: it runs again at once on another worker, the attempt not
-- counted. Each attempt acts only while the lease is its own: an attempt
-- whose lease ran out (its worker stalled) and whose job was claimed again
-- can neither renew nor end it.
--
-- An item's sync lease is no longer a time of its own but the sync job that
-- holds it (plaid_items.sync_job): it lasts exactly as long as that job's
-- lease, and a page is applied only by the attempt that holds it.


-- The lease of a running attempt, renewed; false when the attempt no
-- longer holds it (another worker claimed the job again).
create function north.job_renew(p_id bigint, p_attempt integer,
    p_lease interval)
returns boolean
language sql as $$
    with renewed as (
        update north.jobs set leased_until = now() + p_lease
        where id = p_id and attempts = p_attempt and done_at is null
          and leased_until is not null
        returning 1
    )
    select exists (select 1 from renewed)
$$;


-- An attempt ends: 'done'; 'retry' (a failure: tried again later,
-- doubling from 5 s up to an hour); or 'yield' (its worker leaves: run
-- again at once, the attempt not counted). An attempt that no longer holds
-- the lease ends nothing.
create function north.job_end(p_id bigint, p_attempt integer,
    p_outcome text, p_error text)
returns void
language sql as $$
    update north.jobs
    set leased_until = null,
        done_at = case when p_outcome = 'done' then now() end,
        last_error = case p_outcome when 'retry' then left(p_error, 1000)
                                    when 'yield' then last_error end,
        attempts = case when p_outcome = 'yield' then attempts - 1
                        else attempts end,
        run_at = case when p_outcome = 'retry'
                      then now() + least(interval '1 hour', interval '5 seconds'
                                         * power(2, attempts - 1))
                      else run_at end
    where id = p_id and attempts = p_attempt and done_at is null
      and p_outcome in ('done', 'retry', 'yield')
$$;

drop function north.job_retry(bigint, text);


-- Whether an attempt still holds its job's lease. It locks nothing: the
-- renewals must never wait for the work. (An item's sync is serialised by
-- the item's row: a new attempt takes the item in plaid_sync_begin only
-- after a page being applied by the old one is committed.)
create function north.job_held(p_id bigint, p_attempt integer)
returns boolean
language sql stable as $$
    select exists (select 1 from north.jobs
                   where id = p_id and attempts = p_attempt
                     and done_at is null and leased_until > now())
$$;


-- --- the item's sync lease is its sync job's -------------------------------------

alter table north.plaid_items add column sync_job bigint;
alter table north.plaid_items drop column sync_lease;

-- Whether an item's sync runs now, on any worker or node.
create function north.plaid_syncing(p_job bigint)
returns boolean
language sql stable as $$
    select p_job is not null
       and exists (select 1 from north.jobs j
                   where j.id = p_job and j.done_at is null
                     and j.leased_until > now())
$$;

drop function north.plaid_sync_begin(uuid, interval);

-- Takes the item's sync lease for a job: one sync at a time, across workers
-- and nodes. status: ok | busy (another job's sync holds it) | gone |
-- login_required (its user must log in again first). The same job claimed
-- again (its worker died or left) takes the lease over.
create function north.plaid_sync_begin(p_item uuid, p_job bigint)
returns table (status text, plaid_item_id text, access_token text,
               token_key_id text, cursor text)
language plpgsql as $$
declare
    i north.plaid_items;
begin
    select * into i from north.plaid_items where id = p_item for update;

    if not found then
        return query select 'gone'::text, null::text, null::text, null::text,
                            null::text;
    elsif i.health = 'login_required' then
        return query select 'login_required'::text, null::text, null::text,
                            null::text, null::text;
    elsif i.sync_job is distinct from p_job
          and north.plaid_syncing(i.sync_job)
    then
        return query select 'busy'::text, null::text, null::text, null::text,
                            null::text;
    else
        update north.plaid_items set sync_job = p_job where id = p_item;

        return query select 'ok'::text, i.plaid_item_id, i.access_token,
                            i.token_key_id, i.cursor;
    end if;
end $$;


-- A page of /transactions/sync, applied by the attempt that holds the
-- item's sync lease, and by no other.
create function north.plaid_sync_page(p_item uuid, p_job bigint,
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


-- The sync ends: the lease goes, and the item's health after a login
-- error. An attempt that lost its lease leaves both to the one that holds
-- it now.
create function north.plaid_sync_end(p_item uuid, p_job bigint,
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
