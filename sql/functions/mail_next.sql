-- The next mail to send, leased to the caller for 2 minutes.
create or replace function north.mail_next()
returns table (id bigint, to_email text, template text, locale text,
               params jsonb)
language sql as $$
    update north.mail_outbox m
    set leased_until = now() + interval '2 minutes', attempts = m.attempts + 1
    where m.id = (select q.id from north.mail_outbox q
                  where q.sent_at is null and q.failed_at is null
                    and (q.leased_until is null or q.leased_until < now())
                  order by q.id for update skip locked limit 1)
    returning m.id, m.to_email, m.template, m.locale, m.params
$$;
