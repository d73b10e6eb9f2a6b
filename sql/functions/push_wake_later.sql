-- A sender for when the next push falls due, once a run finds nothing to
-- send now: the earliest notification held (quiet hours), delivery waiting
-- for its retry, or lease running out (a worker that died mid-batch), in
-- the job runner's time (now(); due times are by north.clock_now()). None
-- is added when a sender is already waiting for that time or sooner.
create or replace function north.push_wake_later()
returns void
language sql as $$
    insert into north.jobs (kind, run_at)
    select 'push.send', w.at
    from (select least(
              (select now() + (min(n.not_before) - north.clock_now())
               from north.notifications n
               where n.state = 'queued' and n.not_before > north.clock_now()),
              (select min(d.at)
               from (select greatest(now() + (q.not_before - north.clock_now()),
                                     q.leased_until) as at
                     from north.push_deliveries q
                     where q.state = 'queued') d
               where d.at > now())) as at) w
    where w.at is not null
      and not exists (select 1 from north.jobs j
                      where j.kind = 'push.send' and j.done_at is null
                        and j.leased_until is null and j.run_at <= w.at)
$$;
