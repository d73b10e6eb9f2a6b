-- A mail's outcome: sent (its parameters, a code, are forgotten); refused
-- for good; or to be tried again later (10 s doubling up to an hour; given
-- up after a day). The job runner's sweep removes mail a day after its
-- outcome, and registrations whose code expired.
create or replace function north.mail_sent(p_id bigint, p_outcome text, p_error text)
returns void
language sql as $$
    update north.mail_outbox
    set sent_at = case when p_outcome = 'sent' then now() end,
        params = case when p_outcome = 'sent' then '{}' else params end,
        failed_at = case when p_outcome = 'refused'
                           or created_at < now() - interval '1 day'
                         then now() end,
        last_error = coalesce(left(p_error, 1000), last_error),
        leased_until = case when p_outcome = 'retry'
                            then now() + least(interval '1 hour',
                                 interval '10 seconds' * power(2, attempts - 1))
                       end
    where id = p_id
$$;
