-- Banking through Plaid: linked items (access tokens sealed with AES-256-GCM),
-- their accounts and transactions, page-at-a-time sync with its cursor,
-- webhook keys, and the queue of items to remove at Plaid.

set search_path = north, public;

create extension if not exists pg_trgm;

create table north.plaid_items (
    id              uuid        primary key default gen_random_uuid(),
    user_id         uuid        not null references north.users (id)
                                on delete cascade,
    plaid_item_id   text        not null unique,
    institution_id  text        not null,
    institution_name text,
    access_token    text        not null,      -- sealed: base64(nonce|ct|tag)
    token_key_id    text        not null,      -- which data key sealed it
    health          text        not null default 'good'
                    check (health in ('good', 'login_required',
                                      'pending_disconnect', 'error')),
    health_detail   text,
    cursor          text        not null default '',
    sync_lease      timestamptz,               -- one sync at a time
    last_synced_at  timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    -- one link per institution and user: linking it again updates it
    unique (user_id, institution_id)
);

create index plaid_items_user_id_idx on north.plaid_items (user_id);


alter table north.accounts
    add column item_id          uuid references north.plaid_items (id)
                                on delete cascade,
    add column plaid_account_id text,
    add column limit_cents      bigint,
    add column balance_updated_at timestamptz;

create unique index accounts_plaid_account_id_key
    on north.accounts (item_id, plaid_account_id);
create index accounts_item_id_idx on north.accounts (item_id);


-- amount_cents: negative is money out, positive money in (Plaid's amount
-- with the sign turned). The user's own edits live in user_* columns that
-- Plaid's modifications never touch.
create table north.transactions (
    id                   uuid        primary key default gen_random_uuid(),
    user_id              uuid        not null references north.users (id)
                                     on delete cascade,
    account_id           uuid        not null references north.accounts (id)
                                     on delete cascade,
    item_id              uuid        not null references north.plaid_items (id)
                                     on delete cascade,
    plaid_transaction_id text        not null,
    pending_transaction_id text,
    amount_cents         bigint      not null,
    currency             char(3)     not null default 'CAD',
    date                 date        not null,
    authorized_date      date,
    name                 text        not null,
    merchant_name        text,
    pending              boolean     not null default false,
    payment_channel      text,
    pfc_primary          text,
    pfc_detailed         text,
    location             jsonb,
    user_category        text        check (char_length(user_category)
                                            between 1 and 64),
    notes                text        check (char_length(notes) <= 1000),
    hidden               boolean     not null default false,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    unique (item_id, plaid_transaction_id)
);

create index transactions_user_date_idx
    on north.transactions (user_id, date desc, id desc);
create index transactions_account_id_idx on north.transactions (account_id);
create index transactions_item_id_idx on north.transactions (item_id);
create index transactions_merchant_trgm_idx
    on north.transactions using gin ((coalesce(merchant_name, '') || ' ' || name)
                                     gin_trgm_ops);


-- Plaid's webhook signing keys, fetched by kid and kept until they expire.
create table north.plaid_webhook_keys (
    kid        text        primary key,
    x          text        not null,
    y          text        not null,
    expired_at timestamptz,
    fetched_at timestamptz not null default now()
);


-- Items unlinked here (by the user, a withdrawn consent, an erasure) whose
-- removal at Plaid is still to be done; no user is named.
create table north.plaid_removals (
    id            bigint      generated always as identity primary key,
    plaid_item_id text        not null,
    access_token  text        not null,
    token_key_id  text        not null,
    created_at    timestamptz not null default now(),
    attempts      integer     not null default 0,
    leased_until  timestamptz,
    last_error    text
);


