-- The key of kid (x, y, whether it expired), or none; ask_plaid: true when
-- the caller is to ask Plaid for it now (the fetch slot is taken for it).
create or replace function north.plaid_webhook_key(p_kid text)
returns table (x text, y text, expired boolean, ask_plaid boolean)
language plpgsql as $$
begin
    return query
    select k.x, k.y, coalesce(k.expired_at <= now(), false), false
    from north.plaid_webhook_keys k where k.kid = p_kid;

    if found then
        return;
    end if;

    if exists (select 1 from north.plaid_webhook_key_misses m
               where m.kid = p_kid
                 and m.asked_at > now() - interval '10 minutes') then
        return query select null::text, null::text, false, false;
        return;
    end if;

    update north.plaid_webhook_key_fetch f set asked_at = now()
    where f.asked_at <= now() - interval '10 seconds';

    if not found then
        return query select null::text, null::text, false, false;
        return;
    end if;

    insert into north.plaid_webhook_key_misses as m (kid) values (p_kid)
    on conflict (kid) do update set asked_at = now();

    return query select null::text, null::text, false, true;
end $$;
