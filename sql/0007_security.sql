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


-- Logins, throttled by e-mail address whether or not an account has it, so
-- that an unknown address and a known one answer alike (the lockout too).
-- A failure counts while the one before is less than 15 minutes old; from
-- the 5th on, the next attempt waits 30 seconds, doubling, at most 15
-- minutes: a delay, never a lock of days. A device that already had a
-- session of the account is not held back (north.auth_login_gate). The
-- address is kept as its SHA-256, never in clear.
create table north.login_throttle (
    email_hash  bytea       primary key,
    failures    integer     not null,
    last_failed timestamptz not null,
    wait_until  timestamptz
);

-- Before the password is checked: the account (if any), and how many
-- seconds this attempt must wait (0 for a device the account knows).
create function north.auth_login_gate(p_email text, p_device_id text)
returns table (user_id uuid, email text, password_hash text, wait integer)
language sql stable
set search_path = north, public
as $$
    select u.id, u.email, u.password_hash,
           case when p_device_id is not null and exists (
                    select 1 from north.sessions s
                    where s.user_id = u.id and s.device_id = p_device_id)
                then 0
                else coalesce(ceil(extract(epoch from t.wait_until - now())),
                              0)::integer
           end
    from (select 1) as one
    left join north.users u on lower(u.email) = lower(p_email)
    left join north.login_throttle t
           on t.email_hash = digest(lower(p_email), 'sha256')
          and t.wait_until > now()
$$;

-- After it: a session (ok), or the failure counted (failed, or wait with
-- the seconds the next attempt waits). p_user is null for an unknown
-- address: the same work is done.
create function north.auth_login_attempt(p_email text, p_user uuid,
    p_ok boolean, p_ip inet, p_device_id text, p_device_name text,
    p_platform text, p_refresh_hash bytea, p_refresh_ttl interval)
returns table (status text, session_id uuid, retry_after integer)
language plpgsql
set search_path = north, public
as $$
declare
    t north.login_throttle;
begin
    if p_ok and p_user is not null then
        delete from north.login_throttle
        where email_hash = digest(lower(p_email), 'sha256');

        return query
        select 'ok'::text,
               north.auth_session_open(p_user, 'password', p_ip, p_device_id,
                                       p_device_name, p_platform,
                                       p_refresh_hash, p_refresh_ttl),
               null::integer;
        return;
    end if;

    insert into north.login_throttle as l (email_hash, failures, last_failed)
    values (digest(lower(p_email), 'sha256'), 1, now())
    on conflict (email_hash) do update
    set failures = case when l.last_failed < now() - interval '15 minutes'
                        then 1 else l.failures + 1 end,
        last_failed = now(),
        wait_until = null
    returning * into t;

    if t.failures < 5 then
        return query select 'failed'::text, null::uuid, null::integer;
        return;
    end if;

    update north.login_throttle l
    set wait_until = now() + least(interval '15 minutes',
                                   interval '30 seconds'
                                   * power(2, least(t.failures - 5, 10)))
    where l.email_hash = t.email_hash
    returning * into t;

    return query
    select 'wait'::text, null::uuid,
           ceil(extract(epoch from t.wait_until - now()))::integer;
end $$;

drop function north.auth_login_result(uuid, boolean, integer, interval,
    interval, inet, text, text, text, bytea, interval);

alter table north.users
    drop column failed_logins,
    drop column first_failed_at,
    drop column locked_until,
    drop column lockouts;
