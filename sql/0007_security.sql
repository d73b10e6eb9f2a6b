-- Security fixes of the edge (issue: security and audit integrity).

-- A taken e-mail is an answer, not an error: PostgreSQL logs the DETAIL of
-- a unique violation, and that names the address (Key (lower(email))=...).
-- The conflict is handled here, before anything is logged: no row comes
-- back, and the caller answers 409.
create or replace function north.auth_register(p_email text, p_hash text,
    p_consents text[], p_policy text, p_locale text, p_province text,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns table (user_id uuid, session_id uuid, email text)
language plpgsql as $$
#variable_conflict use_column
declare
    v_user uuid;
begin
    insert into north.users (email, password_hash, locale, province)
    values (p_email, p_hash, coalesce(p_locale, 'en-CA'), p_province)
    on conflict ((lower(email))) do nothing
    returning id into v_user;

    if v_user is null then
        return;
    end if;

    insert into north.consents (user_id, purpose, granted, policy_version, ip)
    select v_user, c, true, p_policy, p_ip
    from unnest(p_consents) as c;

    return query
    select v_user,
           north.auth_session_open(v_user, 'password', p_ip, p_device_id,
                                   p_device_name, p_platform, p_refresh_hash,
                                   p_refresh_ttl),
           p_email;
end $$;


-- A webhook names its key by kid, and a kid North has not seen is fetched
-- from Plaid: unsigned webhooks with made-up kids would each cost a call
-- to Plaid. A kid Plaid was asked about is remembered for 10 minutes, and
-- all fetches together, across nodes, are at most one per 10 seconds.
create table north.plaid_webhook_key_misses (
    kid      text        primary key,
    asked_at timestamptz not null default now()
);

create table north.plaid_webhook_key_fetch (
    one      boolean     primary key default true check (one),
    asked_at timestamptz not null
);

insert into north.plaid_webhook_key_fetch values (true, '-infinity');

-- The key of kid (x, y, whether it expired), or none; ask_plaid: true when
-- the caller is to ask Plaid for it now (the fetch slot is taken for it).
create function north.plaid_webhook_key(p_kid text)
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
