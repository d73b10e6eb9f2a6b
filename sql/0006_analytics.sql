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


-- A merchant's text as rules match it (north_category_key() in C): lower
-- case, accents folded, apostrophes dropped, other runs one space, padded.
create function north.category_key(p_text text)
returns text
language sql immutable parallel safe as $$
    -- one expression, no FROM: inlined into its callers (a call of its own
    -- costs ten times the work, on every row of a sync)
    select coalesce(' ' || nullif(btrim(regexp_replace(lower(
              replace(replace(replace(replace(translate(
                  replace(replace(coalesce(p_text, ''), '''', ''), '’', ''),
                  'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÐðÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ',
                  'aaaaaaaaaaaacceeeeeeeeiiiiiiiiddnnoooooooooooouuuuuuuuyyy'),
                  'Æ', 'ae'), 'æ', 'ae'), 'Œ', 'oe'), 'œ', 'oe')),
              '[^a-z0-9]+', ' ', 'g')), '') || ' ', '')
$$;


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

-- A batch of one user's transactions categorised by precedence
-- (north_category_pick() in C): the user's edit, the user's rules (the
-- longest pattern), a transfer twin (another of the user's accounts with
-- the opposite amount within 3 days), North's rules (the longest, found by
-- the key's words), Plaid's detailed then primary category, uncategorised.
-- Set-based: rules are matched once per distinct merchant key of the batch
-- and joined, so that a sync page of 500 costs a few hash joins.
create function north.category_pick(p_user uuid,
    p_rows north.category_input[])
returns table (n integer, category text, source text)
language sql stable
-- each twin is one index probe even while the statistics still say that
-- the table (or the user) has no rows, as during a first sync: a plan made
-- then scans every row for every probe
set enable_seqscan = off
as $$
    with r as (select * from unnest(p_rows)),
    keys as (select distinct r.key from r),
    north_match as (
        select distinct on (k.key) k.key, c.category
        from keys k
        cross join lateral unnest(string_to_array(btrim(k.key), ' ')) w(word)
        join north.category_rules c on c.first_word = w.word
        where position(' ' || c.pattern || ' ' in k.key) > 0
        order by k.key, char_length(c.pattern) desc, c.ord),
    user_match as (
        select distinct on (k.key) k.key, u.category
        from keys k
        join north.category_user_rules u on u.user_id = p_user
        where position(' ' || u.pattern || ' ' in k.key) > 0
        order by k.key, char_length(u.pattern) desc, u.created_at)
    select r.n,
           coalesce(r.user_category, um.category,
                    case when tw.twin then 'transfers' end, nm.category,
                    pd.category, pp.category, 'uncategorised'),
           case when r.user_category is not null then 'user'
                when um.category is not null then 'user_rule'
                when tw.twin then 'transfer'
                when nm.category is not null then 'north'
                when coalesce(pd.category, pp.category) is not null
                    then 'plaid'
                else 'none' end
    from r
    left join user_match um on um.key = r.key
    left join north_match nm on nm.key = r.key
    left join north.category_pfc pd on pd.pattern = r.pfc_detailed
    left join north.category_pfc pp on pp.pattern = r.pfc_primary
    cross join lateral (
        select r.amount_cents <> 0 and exists (
            select 1 from north.transactions o
            where o.user_id = p_user and o.amount_cents = -r.amount_cents
              and o.date between r.date - 3 and r.date + 3
              and o.account_id <> r.account_id) as twin) tw
$$;


create function north.transactions_categorise()
returns trigger
language plpgsql as $$
begin
    new.merchant_key := north.category_key(coalesce(new.merchant_name,
                                                    new.name));

    select c.category, c.source into new.category, new.category_source
    from north.category_pick(new.user_id, array[row(1, new.account_id,
             new.amount_cents, new.date, new.merchant_key, new.user_category,
             new.pfc_primary, new.pfc_detailed)::north.category_input]) c;

    return new;
end
$$;

create trigger transactions_categorise
    before insert or update on north.transactions
    for each row when (new.category_source = 'unset')
    execute function north.transactions_categorise();

-- new transactions may be the twins of ones already there (or of each
-- other): those whose category ranks below a transfer are worked out again
create function north.transactions_twins()
returns trigger
language plpgsql as $$
begin
    update north.transactions o set category_source = 'unset'
    from added n
    where n.amount_cents <> 0 and o.user_id = n.user_id
      and o.amount_cents = -n.amount_cents
      and o.date between n.date - 3 and n.date + 3
      and o.account_id <> n.account_id
      and o.category_source in ('north', 'plaid', 'none');

    return null;
end
$$;

create trigger transactions_twins
    after insert on north.transactions
    referencing new table as added
    for each statement execute function north.transactions_twins();


-- plaid_apply_page (0005) with the page categorised in its INSERT, as one
-- batch, rather than by the trigger row by row
create or replace function north.plaid_apply_page(p_item uuid, p_page jsonb)
returns table (has_more boolean, next_cursor text, rows integer)
language plpgsql
set jit = off       -- compiling a page's INSERT costs more than running it
as $$
declare
    v_user uuid;
begin
    -- a page lost in a crash is lost with its cursor, and fetched again:
    -- no need to wait for the disk
    perform set_config('synchronous_commit', 'off', true);

    select user_id into v_user from north.plaid_items where id = p_item
    for update;

    if not found then
        raise exception 'plaid item % is gone', p_item
            using errcode = 'no_data_found';
    end if;

    -- balances as of this page
    perform north.plaid_accounts_upsert(p_item, v_user,
                                        coalesce(p_page->'accounts', '[]'));

    -- added and modified alike (the last word on each, should a page name
    -- one twice): Plaid's columns only; a posted transaction takes over the
    -- user's edits of the pending one it replaces, before that one goes
    insert into north.transactions as t (user_id, account_id, item_id,
        plaid_transaction_id, pending_transaction_id, amount_cents,
        currency, date, authorized_date, name, merchant_name, pending,
        payment_channel, pfc_primary, pfc_detailed, location,
        user_category, notes, hidden, merchant_key, category,
        category_source)
    with page as (
        select row_number() over () as n, x.*, a.id as account,
               x.personal_finance_category->>'primary' as pfc_primary,
               x.personal_finance_category->>'detailed' as pfc_detailed,
               p.user_category, p.notes, p.hidden,
               north.category_key(coalesce(x.merchant_name, x.name)) as key
        from (select distinct on (x.transaction_id) x.*,
                     -round(x.amount * 100)::bigint as cents
              from jsonb_array_elements(coalesce(p_page->'added', '[]')
                                        || coalesce(p_page->'modified', '[]'))
                   with ordinality as e(doc, n)
              cross join lateral jsonb_to_record(e.doc) as x(
                       transaction_id text, account_id text,
                       pending_transaction_id text, amount numeric,
                       iso_currency_code text, date date,
                       authorized_date date, name text, merchant_name text,
                       pending boolean, payment_channel text,
                       personal_finance_category jsonb, location jsonb)
              order by x.transaction_id, e.n desc) x
        join north.accounts a on a.item_id = p_item
                             and a.plaid_account_id = x.account_id
        left join lateral (
            select o.user_category, o.notes, o.hidden
            from north.transactions o
            where o.item_id = p_item and x.pending_transaction_id is not null
              and o.plaid_transaction_id = x.pending_transaction_id) p on true)
    select v_user, x.account, p_item, x.transaction_id,
           x.pending_transaction_id, x.cents,
           case when x.iso_currency_code = 'USD' then 'USD' else 'CAD' end,
           x.date, x.authorized_date, x.name, x.merchant_name,
           coalesce(x.pending, false), x.payment_channel, x.pfc_primary,
           x.pfc_detailed, x.location, x.user_category, x.notes,
           coalesce(x.hidden, false), x.key, c.category, c.source
    from page x
    join north.category_pick(v_user, (select array_agg(row(y.n, y.account,
             y.cents, y.date, y.key, y.user_category, y.pfc_primary,
             y.pfc_detailed)::north.category_input) from page y)) c
      on c.n = x.n
    on conflict (item_id, plaid_transaction_id) do update
    set account_id = excluded.account_id,
        pending_transaction_id = excluded.pending_transaction_id,
        amount_cents = excluded.amount_cents, currency = excluded.currency,
        date = excluded.date, authorized_date = excluded.authorized_date,
        name = excluded.name, merchant_name = excluded.merchant_name,
        pending = excluded.pending, payment_channel = excluded.payment_channel,
        pfc_primary = excluded.pfc_primary,
        pfc_detailed = excluded.pfc_detailed, location = excluded.location,
        merchant_key = excluded.merchant_key,
        -- the user's own edit of it still comes first
        category = coalesce(t.user_category, excluded.category),
        category_source = case when t.user_category is not null then 'user'
                               else excluded.category_source end,
        updated_at = now();

    delete from north.transactions t
    using jsonb_array_elements(coalesce(p_page->'removed', '[]')) r
    where t.item_id = p_item
      and t.plaid_transaction_id = r->>'transaction_id';

    update north.plaid_items
    set cursor = p_page->>'next_cursor', updated_at = now(),
        last_synced_at = case when (p_page->>'has_more')::boolean
                              then last_synced_at else now() end
    where id = p_item;

    return query select (p_page->>'has_more')::boolean,
                        p_page->>'next_cursor',
                        jsonb_array_length(coalesce(p_page->'added', '[]'))
                        + jsonb_array_length(coalesce(p_page->'modified', '[]'))
                        + jsonb_array_length(coalesce(p_page->'removed', '[]'));
end
$$;


-- The catalog's fingerprint, and what loading it does when it changed.
create function north.catalog_digest()
returns text
language sql stable as $$
    select md5(coalesce((select string_agg(c::text, '|' order by c.id)
                         from north.categories c), '')
               || coalesce((select string_agg(r::text, '|' order by r.pattern)
                            from north.category_rules r), '')
               || coalesce((select string_agg(p::text, '|' order by p.pattern)
                            from north.category_pfc p), ''))
$$;

create function north.catalog_loaded(p_before text)
returns bigint
language plpgsql as $$
declare
    n bigint := 0;
begin
    if p_before is distinct from north.catalog_digest() then
        update north.transactions set category_source = 'unset';
        get diagnostics n = row_count;
    end if;

    return n;
end
$$;


-- The pattern "apply to similar" makes of a transaction: its merchant's
-- key without the words that carry digits (store numbers, references).
create function north.category_rule_pattern(p_key text)
returns text
language sql immutable as $$
    select nullif(left(btrim(regexp_replace(
               regexp_replace(p_key, ' [a-z]*[0-9][a-z0-9]*(?= )', ' ', 'g'),
               ' +', ' ', 'g')), 160), '')
$$;


-- A transaction as the API shows it.
create function north.transaction_json(t north.transactions)
returns jsonb
language sql stable as $$
    select jsonb_build_object('id', t.id, 'account_id', t.account_id,
        'amount_cents', t.amount_cents, 'currency', t.currency,
        'date', t.date, 'authorized_date', t.authorized_date,
        'name', t.name, 'merchant_name', t.merchant_name,
        'pending', t.pending, 'payment_channel', t.payment_channel,
        'category', t.category, 'category_source', t.category_source,
        'plaid_category', jsonb_build_object('primary', t.pfc_primary,
                                             'detailed', t.pfc_detailed),
        'notes', t.notes, 'hidden', t.hidden)
$$;


-- A user's edit of one transaction (PATCH /v1/transactions/{id}) and, when
-- asked, a rule for every similar one, applied to the past in the same
-- statement. status: ok | not_found | no_pattern (nothing is changed).
create function north.transaction_edit(p_user uuid, p_id uuid,
    p_changes jsonb, p_similar boolean)
returns table (status text, body jsonb)
language plpgsql as $$
declare
    t         north.transactions;
    v_pattern text;
    v_rule    jsonb;
    n         bigint;
begin
    select * into t from north.transactions x
    where x.id = p_id and x.user_id = p_user;

    if not found then
        return query select 'not_found'::text, null::jsonb;
        return;
    end if;

    if p_similar then
        v_pattern := north.category_rule_pattern(t.merchant_key);

        if v_pattern is null then
            return query select 'no_pattern'::text, null::jsonb;
            return;
        end if;
    end if;

    update north.transactions x set
        user_category = case when p_changes ? 'category'
                             then p_changes->>'category'
                             else x.user_category end,
        notes = case when p_changes ? 'notes' then p_changes->>'notes'
                     else x.notes end,
        hidden = case when p_changes ? 'hidden'
                      then (p_changes->>'hidden')::boolean
                      else x.hidden end,
        category_source = case when p_changes ? 'category' then 'unset'
                               else x.category_source end,
        updated_at = now()
    where x.id = p_id
    returning * into t;

    if v_pattern is not null then
        insert into north.category_user_rules as r (user_id, pattern,
            category)
        values (p_user, v_pattern, p_changes->>'category')
        on conflict (user_id, pattern) do update
        set category = excluded.category, created_at = now()
        returning jsonb_build_object('id', r.id, 'pattern', r.pattern,
                                     'category', r.category) into v_rule;

        -- the rule's transactions, past ones included, in one statement
        update north.transactions x set category_source = 'unset'
        where x.user_id = p_user and x.user_category is null
          and position(' ' || v_pattern || ' ' in x.merchant_key) > 0;
        get diagnostics n = row_count;

        v_rule := v_rule || jsonb_build_object('recategorised', n);
    end if;

    return query
        select 'ok'::text, north.transaction_json(t)
                           || jsonb_build_object('rule', v_rule);
end
$$;


-- A user's rules, newest first.
create function north.category_user_rules_json(p_user uuid)
returns json
language sql stable as $$
    select json_build_object('rules', coalesce(json_agg(json_build_object(
               'id', r.id, 'pattern', r.pattern, 'category', r.category,
               'created_at', r.created_at)
               order by r.created_at desc, r.id), '[]'))
    from north.category_user_rules r where r.user_id = p_user
$$;


-- The category tree, in the locale's names, groups with their children.
create function north.categories_json(p_fr boolean)
returns json
language sql stable as $$
    select json_build_object('categories', json_agg(json_build_object(
               'id', g.id, 'name', case when p_fr then g.name_fr
                                        else g.name_en end,
               'kind', g.kind,
               'children', coalesce((select json_agg(json_build_object(
                       'id', c.id, 'name', case when p_fr then c.name_fr
                                                else c.name_en end,
                       'kind', c.kind) order by c.ord)
                   from north.categories c where c.parent = g.id), '[]'))
               order by g.ord))
    from north.categories g where g.parent is null
$$;


-- Deletes a user's rule and categorises its transactions again.
create function north.category_rule_delete(p_user uuid, p_id uuid)
returns bigint
language plpgsql as $$
declare
    v_pattern text;
    n         bigint;
begin
    delete from north.category_user_rules
    where id = p_id and user_id = p_user
    returning pattern into v_pattern;

    if not found then
        return null;
    end if;

    update north.transactions t set category_source = 'unset'
    where t.user_id = p_user and t.category_source = 'user_rule'
      and position(' ' || v_pattern || ' ' in t.merchant_key) > 0;
    get diagnostics n = row_count;

    return n;
end
$$;


-- --- money in other currencies --------------------------------------------

-- CAD per unit of the currency, as of a date (admin: north.fx_rate_set)
create table north.fx_rates (
    currency  char(3)       not null check (currency in ('USD')),
    as_of     date          not null,
    rate      numeric(12,6) not null check (rate > 0),
    source    text          not null default 'admin',
    primary key (currency, as_of)
);

create function north.fx_rate_set(p_currency text, p_rate numeric,
    p_as_of date, p_source text default 'admin')
returns void
language sql as $$
    insert into north.fx_rates (currency, as_of, rate, source)
    values (upper(p_currency), p_as_of, p_rate, p_source)
    on conflict (currency, as_of) do update
    set rate = excluded.rate, source = excluded.source
$$;

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

create function north.manual_item_json(m north.manual_items)
returns jsonb
language sql stable as $$
    select jsonb_build_object('id', m.id, 'name', m.name, 'kind', m.kind,
        'type', m.type, 'value_cents', m.value_cents,
        'currency', m.currency, 'notes', m.notes,
        'created_at', m.created_at, 'updated_at', m.updated_at)
$$;


-- --- balance history -------------------------------------------------------

-- The user's date now, in their zone (the profile's, else the province's).
create function north.user_today(p_user uuid)
returns date
language sql stable as $$
    select (now() at time zone coalesce(u.time_zone,
                                        north.province_time_zone(u.province),
                                        'America/Toronto'))::date
    from north.users u where u.id = p_user
$$;

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


-- A snapshot's delta from the one before it, and the delta of the one after
-- it from this one: written in any order, the deltas stay right.
create function north.balance_snapshots_delta()
returns trigger
language plpgsql as $$
begin
    new.delta_cents := new.cents - coalesce(
        (select p.cents from north.balance_snapshots p
         where p.source_id = new.source_id and p.day < new.day
         order by p.day desc limit 1), 0);
    return new;
end
$$;

create trigger balance_snapshots_delta
    before insert or update of cents, day on north.balance_snapshots
    for each row execute function north.balance_snapshots_delta();

create function north.balance_snapshots_next()
returns trigger
language plpgsql as $$
begin
    update north.balance_snapshots n set delta_cents = n.cents - new.cents
    where n.source_id = new.source_id
      and n.day = (select min(x.day) from north.balance_snapshots x
                   where x.source_id = new.source_id and x.day > new.day)
      and n.delta_cents <> n.cents - new.cents;
    return null;
end
$$;

create trigger balance_snapshots_next
    after insert or update of cents, day on north.balance_snapshots
    for each row execute function north.balance_snapshots_next();


create function north.account_is_liability(p_type text)
returns boolean
language sql immutable as $$
    select p_type in ('credit', 'loan')
$$;

create function north.accounts_snapshot()
returns trigger
language plpgsql as $$
begin
    insert into north.balance_snapshots (source_id, day, user_id, account_id,
        liability, cents, currency)
    values (new.id, north.user_today(new.user_id), new.user_id, new.id,
            north.account_is_liability(new.type),
            case when north.account_is_liability(new.type)
                 then -new.balance_cents else new.balance_cents end,
            new.currency)
    on conflict (source_id, day) do update
    set liability = excluded.liability, cents = excluded.cents,
        currency = excluded.currency, taken_at = now();

    return null;
end
$$;

create trigger accounts_snapshot
    after insert or update of balance_cents, type, currency on north.accounts
    for each row execute function north.accounts_snapshot();

create function north.manual_items_snapshot()
returns trigger
language plpgsql as $$
begin
    insert into north.balance_snapshots (source_id, day, user_id,
        manual_item_id, liability, cents, currency)
    values (new.id, north.user_today(new.user_id), new.user_id, new.id,
            new.kind = 'liability',
            case when new.kind = 'liability' then -new.value_cents
                 else new.value_cents end,
            new.currency)
    on conflict (source_id, day) do update
    set liability = excluded.liability, cents = excluded.cents,
        currency = excluded.currency, taken_at = now();

    return null;
end
$$;

create trigger manual_items_snapshot
    after insert or update of value_cents, kind, currency
    on north.manual_items
    for each row execute function north.manual_items_snapshot();

-- The daily snapshot of every balance that has none yet for the user's
-- today (the job runner's sweep calls it): history has a row for each day
-- even when nothing moves.
create function north.balance_snapshots_daily()
returns bigint
language plpgsql as $$
declare
    n bigint;
begin
    insert into north.balance_snapshots as s (source_id, day, user_id,
        account_id, manual_item_id, liability, cents, currency)
    select b.source_id, b.today, b.user_id, b.account_id, b.manual_item_id,
           b.liability, b.cents, b.currency
    from (select a.id as source_id, north.user_today(a.user_id) as today,
                 a.user_id, a.id as account_id, null::uuid as manual_item_id,
                 north.account_is_liability(a.type) as liability,
                 case when north.account_is_liability(a.type)
                      then -a.balance_cents else a.balance_cents end as cents,
                 a.currency
          from north.accounts a
          union all
          select m.id, north.user_today(m.user_id), m.user_id, null, m.id,
                 m.kind = 'liability',
                 case when m.kind = 'liability' then -m.value_cents
                      else m.value_cents end,
                 m.currency
          from north.manual_items m) b
    where not exists (select 1 from north.balance_snapshots x
                      where x.source_id = b.source_id and x.day = b.today)
    on conflict (source_id, day) do nothing;
    get diagnostics n = row_count;

    return n;
end
$$;


-- --- net worth -------------------------------------------------------------

-- Net worth now, by type and institution, and its daily history over the
-- range (1m, 3m, 1y, all): each day's value is every source's last
-- snapshot on or before it (the running sum of their deltas), so days
-- without a change have no gap. Amounts
-- are CAD cents; other currencies at their latest stored rate, named in fx.
create function north.net_worth_json(p_user uuid, p_range text)
returns json
language sql stable
set jit = off       -- milliseconds of compiling for a query of milliseconds
as $$
    with today as (select north.user_today(p_user) as d),
    fx as (select * from north.fx_current),
    items as (
        select case when north.account_is_liability(a.type)
                    then 'liability' else 'asset' end as kind,
               a.type, coalesce(a.subtype, a.type) as subtype, a.currency,
               coalesce(p.institution_id, 'manual') as institution_id,
               coalesce(p.institution_name, p.institution_id) as institution,
               a.balance_cents as native
        from north.accounts a
        left join north.plaid_items p on p.id = a.item_id
        where a.user_id = p_user
        union all
        select m.kind, m.type, m.type, m.currency, 'manual', null,
               m.value_cents
        from north.manual_items m
        where m.user_id = p_user),
    valued as (
        select i.*, round(i.native * fx.rate)::bigint as cad,
               fx.rate is null as unconverted
        from items i left join fx using (currency)),
    first_day as (
        select least((select min(day) from north.balance_snapshots
                      where user_id = p_user), (select d from today)) as d),
    since as (
        select greatest(case p_range
                   when '1m' then ((select d from today) - interval '1 month')::date
                   when '3m' then ((select d from today) - interval '3 months')::date
                   when '1y' then ((select d from today) - interval '1 year')::date
                   else (select d from first_day) end,
               (select d from first_day)) as d),
    daily as (
        select s.day,
               coalesce(sum(s.delta_cents * fx.rate)
                        filter (where not s.liability), 0) as assets,
               coalesce(sum(s.delta_cents * fx.rate)
                        filter (where s.liability), 0) as liabilities
        from north.balance_snapshots s
        join fx using (currency)
        where s.user_id = p_user and s.day <= (select d from today)
        group by s.day),
    series as (
        select g.day::date as day,
               sum(coalesce(d.assets, 0)) over o as assets,
               -sum(coalesce(d.liabilities, 0)) over o as liabilities
        from generate_series((select d from first_day),
                             (select d from today), interval '1 day') g(day)
        left join daily d on d.day = g.day::date
        window o as (order by g.day))
    select json_build_object(
        'currency', 'CAD',
        'as_of', (select d from today),
        'net_worth', coalesce((select sum(case when kind = 'asset' then cad
                                               else -cad end)
                               from valued where not unconverted), 0),
        'assets', coalesce((select sum(cad) from valued
                            where kind = 'asset' and not unconverted), 0),
        'liabilities', coalesce((select sum(cad) from valued
                                 where kind = 'liability'
                                   and not unconverted), 0),
        'fx', coalesce((select json_agg(json_build_object('currency', c.currency,
                               'rate', fx.rate, 'as_of', fx.as_of,
                               'source', fx.source) order by c.currency)
                        from (select distinct currency from items
                              where currency <> 'CAD') c
                        left join fx using (currency)), '[]'),
        'unconverted', (select count(*) from valued where unconverted),
        'by_type', coalesce((select json_agg(json_build_object('kind', kind,
                               'type', type, 'cents', cents, 'count', n,
                               'subtypes', subtypes) order by kind, cents desc)
                     from (select kind, type, sum(cents) as cents,
                                  sum(n) as n,
                                  json_agg(json_build_object('subtype', subtype,
                                      'cents', cents, 'count', n)
                                      order by cents desc) as subtypes
                           from (select kind, type, subtype, sum(cad) as cents,
                                        count(*) as n
                                 from valued where not unconverted
                                 group by kind, type, subtype) s
                           group by kind, type) t), '[]'),
        'by_institution', coalesce((select json_agg(json_build_object(
                               'institution_id', institution_id,
                               'name', institution,
                               'assets', assets, 'liabilities', liabilities,
                               'net', assets - liabilities)
                               order by assets - liabilities desc)
                     from (select institution_id, max(institution) as institution,
                                  coalesce(sum(cad) filter (where kind = 'asset'), 0)
                                      as assets,
                                  coalesce(sum(cad) filter (where kind = 'liability'), 0)
                                      as liabilities
                           from valued where not unconverted
                           group by institution_id) i), '[]'),
        'history', json_build_object(
            'range', p_range,
            'from', (select d from since),
            'to', (select d from today),
            'points', coalesce((select json_agg(json_build_object('date', day,
                                    'net_worth', round(assets - liabilities)::bigint,
                                    'assets', round(assets)::bigint,
                                    'liabilities', round(liabilities)::bigint)
                                    order by day)
                                from series
                                where day >= (select d from since)), '[]')))
$$;


-- --- spending --------------------------------------------------------------

-- A period's spending, income and saving by category next to the period
-- before it, and its top merchants. Transfers and hidden or pending
-- transactions do not count; refunds lower their category's spending.
-- Amounts are CAD cents (other currencies at the latest stored rate).
create function north.spending_json(p_user uuid, p_period text, p_date date,
    p_fr boolean)
returns json
language sql stable
set jit = off
as $$
    with span as (
        select s::date as start,
               (s + ('1 ' || p_period)::interval - interval '1 day')::date
                   as stop,
               (s - ('1 ' || p_period)::interval)::date as prev
        from date_trunc(p_period, p_date::timestamp) s),
    tx as (
        select t.date >= (select start from span) as current, c.kind,
               t.category, coalesce(t.merchant_name, t.name) as merchant,
               round(t.amount_cents * fx.rate)::bigint as cents
        from north.transactions t
        join north.categories c on c.id = t.category
        left join north.fx_current fx on fx.currency = t.currency
        where t.user_id = p_user
          and t.date between (select prev from span) and (select stop from span)
          and not t.hidden and not t.pending and c.kind <> 'transfer'),
    totals as (
        select current,
               coalesce(-sum(cents) filter (where kind = 'spending'), 0) as spending,
               coalesce(sum(cents) filter (where kind = 'income'), 0) as income,
               coalesce(-sum(cents) filter (where kind = 'saving'), 0) as saving,
               count(*) filter (where cents is null) as unconverted
        from tx group by current),
    cur as (select * from totals where current),
    prev as (select * from totals where not current),
    bycat as (
        select category, kind,
               coalesce(sum(cents) filter (where current), 0) as now,
               coalesce(sum(cents) filter (where not current), 0) as before,
               count(*) filter (where current) as n
        from tx group by category, kind)
    select json_build_object(
        'period', p_period,
        'start', (select start from span),
        'end', (select stop from span),
        'currency', 'CAD',
        'spending_cents', coalesce((select spending from cur), 0),
        'income_cents', coalesce((select income from cur), 0),
        'saving_cents', coalesce((select saving from cur), 0),
        'net_cents', coalesce((select income - spending - saving from cur), 0),
        'unconverted', coalesce((select unconverted from cur), 0),
        'previous', json_build_object(
            'start', (select prev from span),
            'end', (select start from span) - 1,
            'spending_cents', coalesce((select spending from prev), 0),
            'income_cents', coalesce((select income from prev), 0),
            'saving_cents', coalesce((select saving from prev), 0)),
        'change', (select json_build_object(
            'spending_cents', c - p,
            'spending_percent', case when p > 0
                                     then round((c - p) * 100.0 / p, 1) end)
            from (select coalesce((select spending from cur), 0) as c,
                         coalesce((select spending from prev), 0) as p) x),
        'categories', coalesce((select json_agg(json_build_object(
                'id', b.category,
                'name', case when p_fr then c.name_fr else c.name_en end,
                'parent', c.parent, 'kind', b.kind,
                'cents', case when b.kind = 'income' then b.now else -b.now end,
                'previous_cents', case when b.kind = 'income' then b.before
                                       else -b.before end,
                'change_cents', case when b.kind = 'income'
                                     then b.now - b.before
                                     else b.before - b.now end,
                'count', b.n)
                order by b.kind, abs(b.now) desc, b.category)
            from bycat b join north.categories c on c.id = b.category
            where b.now <> 0 or b.n > 0), '[]'),
        'top_merchants', coalesce((select json_agg(json_build_object(
                'name', merchant, 'cents', cents, 'count', n) order by cents desc,
                merchant)
            from (select merchant, -sum(cents) as cents, count(*) as n
                  from tx where current and kind = 'spending'
                  group by merchant
                  having -sum(cents) > 0
                  order by 2 desc, 1 limit 10) m), '[]'))
$$;


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


-- A source's signed balance on a day: its last snapshot then (or its first).
create function north.balance_on(p_source uuid, p_day date)
returns bigint
language sql stable as $$
    select coalesce(
        (select cents from north.balance_snapshots
         where source_id = p_source and day <= p_day
         order by day desc limit 1),
        (select cents from north.balance_snapshots
         where source_id = p_source order by day limit 1))
$$;


-- What progress is computed from (north_goal_progress() in C): saved so
-- far and over the pace window (the last 90 days, or the goal's age), the
-- target, the dates, the milestones already recorded and the goal itself.
-- An account's goal: savings is its balance, a debt the part paid off.
create function north.goal_rows(p_user uuid, p_goal uuid)
returns table (goal json, saved bigint, target bigint, today date,
               target_date date, pace bigint, pace_days integer,
               milestones json)
language sql stable as $$
    select json_build_object('id', g.id, 'name', g.name, 'kind', g.kind,
               'purpose', g.purpose, 'target_cents', g.target_cents,
               'target_date', g.target_date, 'account_id', g.account_id,
               'tracking', g.tracking, 'created_at', g.created_at,
               'updated_at', g.updated_at),
           s.saved, g.target_cents, w.today, g.target_date,
           s.saved - s.before, w.days,
           coalesce((select json_agg(json_build_object('percent', m.percent,
                                     'reached_at', m.reached_at)
                                     order by m.percent)
                     from north.goal_milestones m where m.goal_id = g.id),
                    '[]')
    from north.goals g
    cross join (select north.user_today(p_user) as today) t
    cross join lateral (
        select t.today, least(90, t.today - g.created_on + 1) as days) w
    left join north.accounts a on a.id = g.account_id
    cross join lateral (
        select case
               when g.tracking = 'contributions' then
                   (select coalesce(sum(amount_cents), 0)
                    from north.goal_contributions c where c.goal_id = g.id)
               when g.kind = 'savings' then coalesce(a.balance_cents, 0)
               else g.start_cents - coalesce(a.balance_cents, g.start_cents)
               end as saved,
               case
               when g.tracking = 'contributions' then
                   (select coalesce(sum(amount_cents), 0)
                    from north.goal_contributions c
                    where c.goal_id = g.id and c.made_on <= w.today - w.days)
               when g.kind = 'savings' then
                   coalesce(north.balance_on(a.id, w.today - w.days),
                            a.balance_cents, 0)
               else g.start_cents
                    + coalesce(north.balance_on(a.id, w.today - w.days),
                               -a.balance_cents, -g.start_cents) end as before
    ) s
    where g.user_id = p_user and (p_goal is null or g.id = p_goal)
    order by g.created_at, g.id
$$;


-- POST /v1/goals. status: ok | no_account | wrong_account
create function north.goal_create(p_user uuid, p_goal jsonb)
returns table (status text, id uuid)
language plpgsql as $$
declare
    a north.accounts;
    v_id uuid;
begin
    if p_goal->>'account_id' is not null then
        select * into a from north.accounts
        where accounts.id = (p_goal->>'account_id')::uuid
          and user_id = p_user;

        if not found then
            return query select 'no_account'::text, null::uuid;
            return;
        end if;

        if north.account_is_liability(a.type)
           <> (p_goal->>'kind' = 'debt_payoff')
        then
            return query select 'wrong_account'::text, null::uuid;
            return;
        end if;
    end if;

    insert into north.goals (user_id, name, kind, purpose, target_cents,
        target_date, account_id, start_cents, tracking, created_on)
    values (p_user, p_goal->>'name', p_goal->>'kind',
            coalesce(p_goal->>'purpose', 'other'),
            coalesce((p_goal->>'target_cents')::bigint,
                     case when p_goal->>'kind' = 'debt_payoff'
                          then greatest(a.balance_cents, 1) end),
            (p_goal->>'target_date')::date, a.id,
            case when p_goal->>'kind' = 'debt_payoff' then a.balance_cents end,
            case when a.id is null then 'contributions' else 'account' end,
            north.user_today(p_user))
    returning goals.id into v_id;

    return query select 'ok'::text, v_id;
end
$$;


-- PATCH /v1/goals/{id}: what the request names changes (a null date
-- clears it). False when the user has no such goal.
create function north.goal_update(p_user uuid, p_id uuid, p_changes jsonb)
returns boolean
language plpgsql as $$
begin
    update north.goals g set
        name = coalesce(p_changes->>'name', g.name),
        purpose = coalesce(p_changes->>'purpose', g.purpose),
        target_cents = coalesce((p_changes->>'target_cents')::bigint,
                                g.target_cents),
        target_date = case when p_changes ? 'target_date'
                           then (p_changes->>'target_date')::date
                           else g.target_date end,
        updated_at = now()
    where g.id = p_id and g.user_id = p_user;

    return found;
end
$$;


-- POST /v1/goals/{id}/contributions (made_on defaults to the user's
-- today). status: ok | not_found | tracks_account | future
create function north.goal_contribute(p_user uuid, p_id uuid,
    p_amount bigint, p_on date, p_note text)
returns table (status text, id uuid)
language plpgsql as $$
declare
    g       north.goals;
    v_today date := north.user_today(p_user);
    v_id    uuid;
begin
    select * into g from north.goals
    where goals.id = p_id and user_id = p_user for update;

    if not found then
        return query select 'not_found'::text, null::uuid;
        return;
    end if;

    if g.tracking = 'account' then
        return query select 'tracks_account'::text, null::uuid;
        return;
    end if;

    if p_on > v_today then
        return query select 'future'::text, null::uuid;
        return;
    end if;

    insert into north.goal_contributions (goal_id, user_id, amount_cents,
        made_on, note)
    values (p_id, p_user, p_amount, coalesce(p_on, v_today), p_note)
    returning goal_contributions.id into v_id;

    update north.goals set updated_at = now() where goals.id = p_id;

    return query select 'ok'::text, v_id;
end
$$;


-- Milestones the progress just reached; each is kept once, at its first.
create function north.goal_milestones_record(p_user uuid, p_goals uuid[],
    p_percents integer[])
returns void
language sql as $$
    insert into north.goal_milestones (goal_id, user_id, percent)
    select x.goal, p_user, x.percent
    from unnest(p_goals, p_percents) as x(goal, percent)
    join north.goals g on g.id = x.goal and g.user_id = p_user
    on conflict (goal_id, percent) do nothing
$$;
