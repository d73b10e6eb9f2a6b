-- The lease of a running attempt, renewed; false when the attempt no
-- longer holds it (another worker claimed the job again).
create or replace function north.job_renew(p_id bigint, p_attempt integer,
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
