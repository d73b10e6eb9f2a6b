-- Mail due again (after a relay's failure, or a worker's death) with no
-- sender waiting: the job runner's sweep wakes one.
create or replace function north.mail_wake()
returns void
language sql as $$
    insert into north.jobs (kind)
    select 'mail.send'
    where exists (select 1 from north.mail_outbox m
                  where m.sent_at is null and m.failed_at is null
                    and (m.leased_until is null or m.leased_until < now()))
      and not exists (select 1 from north.jobs j
                      where j.kind = 'mail.send' and j.done_at is null)
$$;
