-- Basic analytics: categories and rules (the catalog itself is loaded from
-- sql/catalog.sql), each transaction's category kept current by trigger,
-- exchange rates, manual assets and liabilities, daily balance snapshots,
-- net worth with its history, spending for a period, and goals with their
-- contributions and milestones.

set search_path = north, public;


-- --- categorisation -----------------------------------------------------------

create table north.categories (
    id       text primary key check (id ~ '^[a-z][a-z0-9_]{1,39}$'),
    parent   text references north.categories (id),
    name_en  text not null,
    name_fr  text not null,
    kind     text not null
             check (kind in ('spending', 'income', 'saving', 'transfer')),
    ord      integer not null
);

create index categories_parent_idx on north.categories (parent);

-- North's merchant rules and Plaid's categories mapped (from the catalog)
create table north.category_rules (
    pattern     text primary key,
    category    text not null references north.categories (id),
    ord         integer not null,
    -- a key's words find their candidate rules through this
    first_word  text not null generated always as (split_part(pattern, ' ', 1))
                stored
);

create index category_rules_first_word_idx
    on north.category_rules (first_word);

create index category_rules_category_idx on north.category_rules (category);

create table north.category_pfc (
    pattern   text primary key,
    category  text not null references north.categories (id),
    ord       integer not null
);

create index category_pfc_category_idx on north.category_pfc (category);

-- The user's own rules: "apply to similar" on a transaction's category.
create table north.category_user_rules (
    id          uuid        primary key default gen_random_uuid(),
    user_id     uuid        not null references north.users (id)
                            on delete cascade,
    pattern     text        not null check (pattern ~ '^[a-z0-9]+( [a-z0-9]+)*$'
                                            and char_length(pattern) <= 160),
    category    text        not null references north.categories (id),
    created_at  timestamptz not null default now(),
    unique (user_id, pattern)
);

create index category_user_rules_category_idx
    on north.category_user_rules (category);


alter table north.transactions
    add column merchant_key     text not null default '',
    add column category         text not null default 'uncategorised',
    -- 'unset': the trigger works it out (new rows, and rows an edit, a rule
    -- or a twin sends back); a writer that computed it sets the real one
    add column category_source  text not null default 'unset'
        check (category_source in ('user', 'user_rule', 'transfer', 'north',
                                   'plaid', 'none', 'unset'));

-- transfers find their twins by amount; spending reads (user, date). No
-- (user, category) index: a twin's probe, planned while a user has no
-- rows, would take it and then read all of a user's rows for each one
create index transactions_user_amount_idx
    on north.transactions (user_id, amount_cents, date);
-- a user's edit may name only a known category; old free-text edits go
update north.transactions set user_category = null
where user_category is not null;
alter table north.transactions
    drop constraint if exists transactions_user_category_check,
    add constraint transactions_user_category_fkey
        foreign key (user_category) references north.categories (id);
create index transactions_user_category_fkey_idx
    on north.transactions (user_category) where user_category is not null;


-- What categorising a transaction reads of it (n: its place in a batch).
create type north.category_input as (
    n              integer,
    account_id     uuid,
    amount_cents   bigint,
    date           date,
    key            text,          -- north.category_key() of its merchant
    user_category  text,
    pfc_primary    text,
    pfc_detailed   text
);


-- --- money in other currencies --------------------------------------------

-- CAD per unit of the currency, as of a date (admin: north.fx_rate_set)
create table north.fx_rates (
    currency  char(3)       not null check (currency in ('USD')),
    as_of     date          not null,
    rate      numeric(12,6) not null check (rate > 0),
    source    text          not null default 'admin',
    primary key (currency, as_of)
);


-- the latest rate of each currency: CAD is 1
create view north.fx_current as
    select 'CAD'::char(3) as currency, current_date as as_of,
           1::numeric as rate, 'identity'::text as source
    union all
    select distinct on (currency) currency, as_of, rate, source
    from north.fx_rates
    order by currency, as_of desc;


-- --- manual assets and liabilities ----------------------------------------

create table north.manual_items (
    id          uuid        primary key default gen_random_uuid(),
    user_id     uuid        not null references north.users (id)
                            on delete cascade,
    name        text        not null check (char_length(name) between 1 and 100),
    kind        text        not null check (kind in ('asset', 'liability')),
    type        text        not null
                check (type in ('real_estate', 'vehicle', 'cash',
                                'investment', 'valuables', 'other_asset',
                                'mortgage', 'loan', 'line_of_credit',
                                'credit_card', 'other_liability')),
    value_cents bigint      not null
                check (value_cents between 0 and 100000000000000),
    currency    char(3)     not null default 'CAD'
                check (currency in ('CAD', 'USD')),
    notes       text        check (char_length(notes) <= 1000),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    check ((kind = 'asset') = (type in ('real_estate', 'vehicle', 'cash',
                                        'investment', 'valuables',
                                        'other_asset')))
);

create index manual_items_user_id_idx on north.manual_items (user_id);


-- --- balance history -------------------------------------------------------


-- One row per account or manual item and day, the last value of that day:
-- signed (what is owed is negative), in the source's currency.
create table north.balance_snapshots (
    source_id      uuid        not null,
    day            date        not null,
    user_id        uuid        not null references north.users (id)
                               on delete cascade,
    account_id     uuid        references north.accounts (id)
                               on delete cascade,
    manual_item_id uuid        references north.manual_items (id)
                               on delete cascade,
    liability      boolean     not null,
    cents          bigint      not null,
    -- cents less the source's snapshot before: a day's net worth is the
    -- sum of every delta up to it (kept by the triggers below)
    delta_cents    bigint      not null default 0,
    currency       char(3)     not null,
    taken_at       timestamptz not null default now(),
    primary key (source_id, day),
    check (source_id = coalesce(account_id, manual_item_id)
           and (account_id is null) <> (manual_item_id is null))
);

-- history reads only this index
create index balance_snapshots_user_day_idx
    on north.balance_snapshots (user_id, day)
    include (liability, delta_cents, currency);
create index balance_snapshots_account_id_idx
    on north.balance_snapshots (account_id);
create index balance_snapshots_manual_item_id_idx
    on north.balance_snapshots (manual_item_id);


-- --- net worth -------------------------------------------------------------


-- --- spending --------------------------------------------------------------


-- --- goals -----------------------------------------------------------------

create table north.goals (
    id            uuid        primary key default gen_random_uuid(),
    user_id       uuid        not null references north.users (id)
                              on delete cascade,
    name          text        not null check (char_length(name) between 1 and 100),
    kind          text        not null check (kind in ('savings', 'debt_payoff')),
    purpose       text        not null default 'other'
                  check (purpose in ('emergency_fund', 'vacation',
                                     'down_payment', 'retirement', 'education',
                                     'car', 'wedding', 'home_renovation',
                                     'credit_card', 'student_loan', 'loan',
                                     'line_of_credit', 'mortgage', 'other')),
    target_cents  bigint      not null
                  check (target_cents between 1 and 100000000000000),
    target_date   date,
    account_id    uuid        references north.accounts (id) on delete set null,
    -- a debt goal on an account: what was owed when it was set
    start_cents   bigint,
    tracking      text        not null check (tracking in ('account',
                                                           'contributions')),
    created_on    date        not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);

create index goals_user_id_idx on north.goals (user_id);
create index goals_account_id_idx on north.goals (account_id);

create table north.goal_contributions (
    id            uuid        primary key default gen_random_uuid(),
    goal_id       uuid        not null references north.goals (id)
                              on delete cascade,
    user_id       uuid        not null references north.users (id)
                              on delete cascade,
    amount_cents  bigint      not null
                  check (amount_cents <> 0
                         and abs(amount_cents) <= 100000000000000),
    made_on       date        not null,
    note          text        check (char_length(note) <= 500),
    created_at    timestamptz not null default now()
);

create index goal_contributions_goal_idx
    on north.goal_contributions (goal_id, made_on);
create index goal_contributions_user_id_idx
    on north.goal_contributions (user_id);

-- each milestone once, when first reached (gamification reads them)
create table north.goal_milestones (
    goal_id       uuid        not null references north.goals (id)
                              on delete cascade,
    user_id       uuid        not null references north.users (id)
                              on delete cascade,
    percent       integer     not null check (percent in (25, 50, 75, 100)),
    reached_at    timestamptz not null default now(),
    primary key (goal_id, percent)
);

create index goal_milestones_user_id_idx on north.goal_milestones (user_id);


