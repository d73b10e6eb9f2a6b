-- The next due job, leased to the caller; a worker that dies mid-job loses
-- its lease and another takes the job over.
create or replace function north.job_claim(p_lease interval)
returns table (id bigint, kind text, user_id uuid, attempts integer,
               ref text)
language sql as $$
    update north.jobs j
    set leased_until = now() + p_lease, attempts = j.attempts + 1
    where j.id = (select q.id from north.jobs q
                  where q.done_at is null and q.run_at <= now()
                    and (q.leased_until is null or q.leased_until < now())
                  order by q.run_at, q.id
                  for update skip locked
                  limit 1)
    returning j.id, j.kind, j.user_id, j.attempts, j.ref
$$;
