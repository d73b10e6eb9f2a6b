-- The next deliveries to send, at most p_limit, leased for 2 minutes. Due
-- is by the job runner's clock (north.clock_now(): now(), but in suites
-- that move it).
-- First the notifications due fan out, one delivery per device the user
-- has a push token on (none: the notification is only in the inbox); then
-- deliveries whose device lost its token are dropped and those of a user
-- who withdrew the notifications consent are skipped (security notices
-- need no consent), so that a withdrawal stops the very next send.
drop function if exists north.push_next(integer);
create function north.push_next(p_limit integer)
returns table (id bigint, token text, notification_id uuid, title text,
               body text, category text, template text, attempts integer)
language plpgsql as $$
#variable_conflict use_column
begin
    with due as (
        select n.id, n.user_id
        from north.notifications n
        where n.state = 'queued' and n.not_before <= north.clock_now()
        order by n.not_before
        for update skip locked
        limit p_limit
    ), fan as (
        insert into north.push_deliveries (notification_id, user_id,
                                           device_id)
        select d.id, d.user_id, t.device_id
        from due d join north.push_tokens t on t.user_id = d.user_id
        on conflict (notification_id, device_id) do nothing
    )
    update north.notifications n
    set state = 'sent', sent_at = now()
    from due d
    where n.id = d.id;

    update north.push_deliveries d
    set state = 'dropped', finished_at = now(),
        last_error = 'the device has no push token'
    where d.state = 'queued' and d.not_before <= north.clock_now()
      and not exists (select 1 from north.push_tokens t
                      where t.user_id = d.user_id
                        and t.device_id = d.device_id);

    update north.push_deliveries d
    set state = 'skipped', finished_at = now(),
        last_error = 'the notifications consent is withdrawn'
    from north.notifications n
    where d.state = 'queued' and d.not_before <= north.clock_now()
      and n.id = d.notification_id and n.category <> 'security'
      and not north.consent_granted(d.user_id, 'notifications');

    return query
    with picked as (
        select q.id from north.push_deliveries q
        where q.state = 'queued' and q.not_before <= north.clock_now()
          and (q.leased_until is null or q.leased_until < now())
        order by q.not_before, q.id
        for update skip locked
        limit p_limit
    )
    update north.push_deliveries d
    set leased_until = now() + interval '2 minutes',
        attempts = d.attempts + 1
    from picked p, north.notifications n, north.push_tokens t
    where d.id = p.id and n.id = d.notification_id
      and t.user_id = d.user_id and t.device_id = d.device_id
    returning d.id, t.token, n.id, n.title, n.body, n.category, n.template,
              d.attempts;
end $$;
