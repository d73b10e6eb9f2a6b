-- North's first tables: users and the bank accounts they hold.
-- build.sh migrate runs each file in one transaction and records it in
-- north.schema_migrations.

create extension if not exists pgcrypto;

set search_path = north, public;

create table north.users (
    id            uuid        primary key default gen_random_uuid(),
    email         text        not null,
    password_hash text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);

-- one account per address, whatever the case of its local part
create unique index users_email_key on north.users (lower(email));

create table north.accounts (
    id              uuid        primary key default gen_random_uuid(),
    user_id         uuid        not null references north.users (id)
                                on delete cascade,
    name            text        not null,
    official_name   text,
    type            text        not null
                    check (type in ('depository', 'credit', 'loan',
                                    'investment', 'other')),
    subtype         text,
    mask            text        check (mask ~ '^[0-9]{2,4}$'),
    currency        char(3)     not null default 'CAD'
                    check (currency in ('CAD', 'USD')),
    balance_cents   bigint      not null default 0,
    available_cents bigint,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

create index accounts_user_id_idx on north.accounts (user_id);
