-- A mail queued wakes the sender, unless one is already waiting.
create or replace function north.mail_queued()
returns trigger
language plpgsql as $$
begin
    insert into north.jobs (kind)
    select 'mail.send'
    where not exists (select 1 from north.jobs j
                      where j.kind = 'mail.send' and j.done_at is null
                        and j.leased_until is null);
    return null;
end $$;

drop trigger if exists mail_outbox_queued on north.mail_outbox;
create trigger mail_outbox_queued
    after insert on north.mail_outbox
    for each statement execute function north.mail_queued();
