-- Push deliveries or notifications due with no sender waiting: the job
-- runner's sweep, a notification queued and a sender's full batch wake one
-- (a wake for later, push_wake_later, does not count as waiting).
create or replace function north.push_wake()
returns void
language sql as $$
    insert into north.jobs (kind)
    select 'push.send'
    where (exists (select 1 from north.notifications n
                   where n.state = 'queued' and n.not_before <= north.clock_now())
           or exists (select 1 from north.push_deliveries d
                      where d.state = 'queued' and d.not_before <= north.clock_now()
                        and (d.leased_until is null
                             or d.leased_until < now())))
      and not exists (select 1 from north.jobs j
                      where j.kind = 'push.send' and j.done_at is null
                        and j.leased_until is null and j.run_at <= now())
$$;

create or replace function north.push_queued()
returns trigger
language plpgsql as $$
begin
    perform north.push_wake();
    return null;
end $$;

drop trigger if exists notifications_push_queued on north.notifications;
create trigger notifications_push_queued
    after insert on north.notifications
    for each statement execute function north.push_queued();
