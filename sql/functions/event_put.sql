-- Records a domain event once (docs/architecture.md, "Domain events"): the
-- second write of the same key for the same user changes nothing. Call it
-- in the transaction that made the event happen.
create or replace function north.event_put(p_user uuid, p_kind text,
    p_subject text, p_key text)
returns void
language sql as $$
    insert into north.events (user_id, kind, subject, key)
    values (p_user, p_kind, p_subject, p_key)
    on conflict (user_id, key) do nothing
$$;
