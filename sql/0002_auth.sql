-- Authentication: sessions, rotating refresh tokens, login throttling,
-- biometric device keys, and the consents given at registration.
-- Each multi-step write is one function, so that a handler makes one round
-- trip and a crash leaves nothing half-made.

set search_path = north, public;

alter table north.users
    add column locale             text        not null default 'en-CA'
               check (locale in ('en-CA', 'fr-CA')),
    add column province           char(2)
               check (province in ('AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT',
                                   'NU', 'ON', 'PE', 'QC', 'SK', 'YT')),
    add column password_changed_at timestamptz not null default now(),
    add column failed_logins      integer     not null default 0,
    add column first_failed_at    timestamptz,
    add column locked_until       timestamptz,
    add column lockouts           integer     not null default 0;

create table north.sessions (
    id             uuid        primary key default gen_random_uuid(),
    user_id        uuid        not null references north.users (id)
                               on delete cascade,
    auth_method    text        not null
                   check (auth_method in ('password', 'biometric')),
    device_id      text,
    device_name    text,
    platform       text,
    ip             inet,
    created_at     timestamptz not null default now(),
    last_seen_at   timestamptz not null default now(),
    revoked_at     timestamptz,
    revoked_reason text
);

create index sessions_user_id_idx on north.sessions (user_id);

create table north.refresh_tokens (
    token_hash  bytea       primary key,        -- SHA-256 of the token
    session_id  uuid        not null references north.sessions (id)
                            on delete cascade,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz
);

create index refresh_tokens_session_id_idx on north.refresh_tokens (session_id);

create table north.devices (
    user_id     uuid        not null references north.users (id)
                            on delete cascade,
    device_id   text        not null,
    name        text,
    platform    text,
    public_key  bytea       not null,           -- P-256 SubjectPublicKeyInfo
    enrolled_at timestamptz not null default now(),
    primary key (user_id, device_id)
);

create table north.consents (
    id             bigint      generated always as identity primary key,
    user_id        uuid        not null references north.users (id)
                               on delete cascade,
    purpose        text        not null,
    granted        boolean     not null,
    policy_version text        not null,
    ip             inet,
    created_at     timestamptz not null default now()
);

create index consents_user_id_idx on north.consents (user_id, purpose);


-- A new session and its first refresh token.
create function north.auth_session_open(p_user uuid, p_method text,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns uuid
language plpgsql as $$
declare
    v_session uuid;
begin
    insert into north.sessions (user_id, auth_method, ip, device_id,
                                device_name, platform)
    values (p_user, p_method, p_ip, p_device_id, p_device_name, p_platform)
    returning id into v_session;

    insert into north.refresh_tokens (token_hash, session_id, expires_at)
    values (p_refresh_hash, v_session, now() + p_refresh_ttl);

    return v_session;
end $$;


-- Registration: the user, the consents given, the first session.
-- A taken e-mail raises unique_violation (23505).
create function north.auth_register(p_email text, p_hash text,
    p_consents text[], p_policy text, p_locale text, p_province text,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns table (user_id uuid, session_id uuid, email text)
language plpgsql as $$
declare
    v_user uuid;
begin
    insert into north.users (email, password_hash, locale, province)
    values (p_email, p_hash, coalesce(p_locale, 'en-CA'), p_province)
    returning id into v_user;

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


-- The outcome of a password check. A failure counts toward a lockout of
-- p_lock, doubled for each lockout before; success clears the count and
-- opens a session. status: ok | failed | locked.
create function north.auth_login_result(p_user uuid, p_ok boolean,
    p_max_failures integer, p_window interval, p_lock interval,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns table (status text, session_id uuid, retry_after integer)
language plpgsql as $$
declare
    u north.users;
begin
    select * into u from north.users where id = p_user for update;

    if u.locked_until > now() then
        return query select 'locked'::text, null::uuid,
            ceil(extract(epoch from u.locked_until - now()))::integer;
        return;
    end if;

    if p_ok then
        update north.users
        set failed_logins = 0, first_failed_at = null, locked_until = null,
            lockouts = 0
        where id = p_user;

        return query select 'ok'::text,
            north.auth_session_open(p_user, 'password', p_ip, p_device_id,
                                    p_device_name, p_platform, p_refresh_hash,
                                    p_refresh_ttl),
            null::integer;
        return;
    end if;

    if u.first_failed_at is null or u.first_failed_at < now() - p_window then
        u.failed_logins := 0;
        u.first_failed_at := now();
    end if;

    u.failed_logins := u.failed_logins + 1;

    if u.failed_logins >= p_max_failures then
        update north.users
        set failed_logins = 0, first_failed_at = null, lockouts = lockouts + 1,
            locked_until = now() + p_lock * power(2, least(u.lockouts, 10))
        where id = p_user
        returning * into u;

        return query select 'locked'::text, null::uuid,
            ceil(extract(epoch from u.locked_until - now()))::integer;
        return;
    end if;

    update north.users
    set failed_logins = u.failed_logins, first_failed_at = u.first_failed_at
    where id = p_user;

    return query select 'failed'::text, null::uuid, null::integer;
end $$;


-- Refresh-token rotation. A token presented twice means it was stolen:
-- its whole session is revoked. status: ok | invalid | expired | revoked |
-- reused.
create function north.auth_refresh(p_hash bytea, p_new_hash bytea,
    p_refresh_ttl interval)
returns table (status text, user_id uuid, session_id uuid, email text)
language plpgsql as $$
declare
    t north.refresh_tokens;
    s north.sessions;
    v_email text;
begin
    select * into t from north.refresh_tokens
    where token_hash = p_hash for update;

    if not found then
        return query select 'invalid'::text, null::uuid, null::uuid, null::text;
        return;
    end if;

    select * into s from north.sessions where id = t.session_id for update;
    select u.email into v_email from north.users u where u.id = s.user_id;

    if s.revoked_at is not null then
        return query select 'revoked'::text, s.user_id, s.id, v_email;
        return;
    end if;

    if t.used_at is not null then
        update north.sessions
        set revoked_at = now(), revoked_reason = 'refresh_token_reuse'
        where id = s.id;

        return query select 'reused'::text, s.user_id, s.id, v_email;
        return;
    end if;

    if t.expires_at <= now() then
        return query select 'expired'::text, s.user_id, s.id, v_email;
        return;
    end if;

    update north.refresh_tokens set used_at = now() where token_hash = p_hash;

    insert into north.refresh_tokens (token_hash, session_id, expires_at)
    values (p_new_hash, s.id, now() + p_refresh_ttl);

    update north.sessions set last_seen_at = now() where id = s.id;

    return query select 'ok'::text, s.user_id, s.id, v_email;
end $$;


-- Revokes one live session of a user; false when there was none.
create function north.auth_session_revoke(p_user uuid, p_session uuid,
    p_reason text)
returns boolean
language sql as $$
    with revoked as (
        update north.sessions
        set revoked_at = now(), revoked_reason = p_reason
        where id = p_session and user_id = p_user and revoked_at is null
        returning id
    )
    select exists (select 1 from revoked)
$$;


-- A new password; every other session of the user is revoked and listed.
create function north.auth_password_change(p_user uuid, p_session uuid,
    p_hash text)
returns table (revoked_session uuid)
language plpgsql as $$
begin
    update north.users
    set password_hash = p_hash, password_changed_at = now(),
        updated_at = now()
    where id = p_user;

    return query
    update north.sessions
    set revoked_at = now(), revoked_reason = 'password_changed'
    where user_id = p_user and id <> p_session and revoked_at is null
    returning id;
end $$;
