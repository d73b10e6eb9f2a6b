-- The outcomes of a batch the sender leased, as a JSON array of
-- {id, outcome, error, retry_s, token}: sent; drop (FCM refused the token
-- for good: the delivery is dropped and the token removed, unless the
-- device registered another since); fail (a payload FCM refuses: never
-- sent again); retry (after retry_s seconds; given up after 8 attempts).
-- Returns the number of deliveries recorded.
create or replace function north.push_sent(p_results jsonb)
returns integer
language plpgsql as $$
declare
    n integer;
begin
    with r as (
        select x.id, x.outcome, x.error, x.retry_s
        from jsonb_to_recordset(p_results)
             as x(id bigint, outcome text, error text, retry_s integer)
    )
    update north.push_deliveries d
    set state = case r.outcome
                    when 'sent' then 'sent'
                    when 'drop' then 'dropped'
                    when 'fail' then 'failed'
                    else case when d.attempts >= 8 then 'failed'
                              else 'queued' end
                end,
        sent_at = case when r.outcome = 'sent' then now() end,
        finished_at = case when r.outcome <> 'retry' or d.attempts >= 8
                           then now() end,
        last_error = left(r.error, 500),
        leased_until = null,
        not_before = case when r.outcome = 'retry'
                          then north.clock_now()
                               + make_interval(secs => greatest(r.retry_s, 1))
                          else d.not_before end
    from r
    where d.id = r.id and d.state = 'queued';

    get diagnostics n = row_count;

    delete from north.push_tokens t
    using jsonb_to_recordset(p_results) as x(outcome text, token text)
    where x.outcome = 'drop' and t.token = x.token;

    -- a sender for when the retries fall due, the sweep may be far
    if p_results @> '[{"outcome": "retry"}]' then
        perform north.push_wake_later();
    end if;

    return n;
end $$;
