-- Push notifications (Phase 2), part one: the devices' push tokens, each
-- user's preferences, and the outbox that is also the inbox. A
-- notification is made from a domain event (north.notifications_events,
-- the consumer "notifications") or by the job runner, rendered in the
-- user's language, and held while the user's quiet hours last.

insert into north.consent_purposes (purpose, position, required, effect)
values ('notifications', 7, false,
        'push notifications other than security notices');

-- one token a device; a token registered on another user's device moves
create table north.push_tokens (
    user_id      uuid        not null references north.users (id)
                             on delete cascade,
    device_id    text        not null,
    token        text        not null unique
                 check (char_length(token) between 1 and 4096),
    platform     text        not null check (platform in ('ios', 'android')),
    app_version  text        check (char_length(app_version) <= 32),
    created_at   timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    primary key (user_id, device_id)
);

create index push_tokens_seen_idx on north.push_tokens (last_seen_at);

-- absent: the defaults (every category on, 21:00-08:00, $500, $100)
create table north.notification_preferences (
    user_id            uuid        primary key references north.users (id)
                                   on delete cascade,
    categories         jsonb       not null default '{}',  -- name: false
    quiet_start        time        not null default '21:00',
    quiet_end          time        not null default '08:00',
    large_tx_cents     bigint      not null default 50000
                       check (large_tx_cents between 1 and 100000000000),
    low_balance_cents  bigint      not null default 10000
                       check (low_balance_cents between 0 and 100000000000),
    updated_at         timestamptz not null default now()
);

create table north.notifications (
    id          uuid        primary key default gen_random_uuid(),
    user_id     uuid        not null references north.users (id)
                            on delete cascade,
    category    text        not null
                check (category in ('goals', 'transactions', 'balances',
                                    'streaks', 'summary', 'security')),
    template    text        not null,
    params      jsonb       not null default '{}',
    dedup_key   text        not null,   -- one notification per real event
    locale      text        not null,
    title       text        not null,
    body        text        not null,
    state       text        not null default 'queued'
                check (state in ('queued', 'sent', 'skipped', 'failed')),
    attempts    integer     not null default 0,
    not_before  timestamptz not null default now(),  -- after quiet hours
    created_at  timestamptz not null default now(),
    sent_at     timestamptz,
    read_at     timestamptz,
    last_error  text,
    unique (user_id, dedup_key)
);

create index notifications_user_idx on north.notifications (user_id, created_at, id);
create index notifications_due_idx on north.notifications (not_before)
    where state = 'queued';

insert into north.event_consumers (name, fn)
values ('notifications', 'north.notifications_events');
