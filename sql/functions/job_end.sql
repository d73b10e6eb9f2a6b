-- An attempt ends: 'done'; 'retry' (a failure: tried again later,
-- doubling from 5 s up to an hour); or 'yield' (its worker leaves: run
-- again at once, the attempt not counted). An attempt that no longer holds
-- the lease ends nothing.
create or replace function north.job_end(p_id bigint, p_attempt integer,
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
