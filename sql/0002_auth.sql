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


