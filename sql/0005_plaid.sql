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


-- Unlinks items of a user (all, or one): they are queued for /item/remove
-- and deleted with their accounts and transactions at once; the job that
-- calls Plaid is queued. Returns the ids of the items unlinked.
create function north.plaid_unlink(p_user uuid, p_item uuid)
returns setof uuid
language plpgsql as $$
declare
    v_ids uuid[];
begin
    with gone as (
        delete from north.plaid_items
        where user_id = p_user and (p_item is null or id = p_item)
        returning id, plaid_item_id, access_token, token_key_id
    ), queued as (
        insert into north.plaid_removals (plaid_item_id, access_token,
                                          token_key_id)
        select plaid_item_id, access_token, token_key_id from gone
    )
    select array_agg(id) into v_ids from gone;

    if v_ids is not null then
        insert into north.jobs (kind) values ('plaid.remove');
    end if;

    return query select unnest(v_ids);
end $$;


-- Withdrawing the bank_data consent unlinks every institution (PIPEDA 4.3.8).
create function north.plaid_consent_withdrawn()
returns trigger
language plpgsql as $$
begin
    perform north.plaid_unlink(new.user_id, null);
    return new;
end $$;

create trigger consents_bank_data_withdrawn
    after insert on north.consents
    for each row
    when (new.purpose = 'bank_data' and not new.granted)
    execute function north.plaid_consent_withdrawn();


-- Takes the item's sync lease: one sync at a time, across workers and
-- nodes. status: ok | busy (another sync holds it) | gone |
-- login_required (its user must log in again first).
create function north.plaid_sync_begin(p_item uuid, p_lease interval)
returns table (status text, plaid_item_id text, access_token text,
               token_key_id text, cursor text)
language plpgsql as $$
declare
    i north.plaid_items;
begin
    select * into i from north.plaid_items where id = p_item for update;

    if not found then
        return query select 'gone'::text, null::text, null::text, null::text,
                            null::text;
    elsif i.health = 'login_required' then
        return query select 'login_required'::text, null::text, null::text,
                            null::text, null::text;
    elsif i.sync_lease > now() then
        return query select 'busy'::text, null::text, null::text, null::text,
                            null::text;
    else
        update north.plaid_items set sync_lease = now() + p_lease
        where id = p_item;

        return query select 'ok'::text, i.plaid_item_id, i.access_token,
                            i.token_key_id, i.cursor;
    end if;
end $$;


-- Queues a sync of an item unless one is already waiting.
create function north.plaid_sync_queue(p_item uuid)
returns void
language sql as $$
    insert into north.jobs (kind, user_id, ref)
    select 'plaid.sync', i.user_id, i.id::text
    from north.plaid_items i
    where i.id = p_item
      and not exists (select 1 from north.jobs j
                      where j.kind = 'plaid.sync' and j.ref = p_item::text
                        and j.done_at is null
                        and (j.leased_until is null
                             or j.leased_until < now()))
$$;


-- An item's accounts and balances as Plaid lists them (credit balances are
-- what is owed).
create function north.plaid_accounts_upsert(p_item uuid, p_user uuid,
    p_accounts jsonb)
returns void
language sql as $$
    insert into north.accounts (user_id, item_id, plaid_account_id, name,
        official_name, type, subtype, mask, currency, balance_cents,
        available_cents, limit_cents, balance_updated_at)
    select p_user, p_item, a->>'account_id', a->>'name', a->>'official_name',
           case when a->>'type' in ('depository', 'credit', 'loan',
                                    'investment') then a->>'type'
                else 'other' end,
           a->>'subtype',
           case when right(a->>'mask', 4) ~ '^[0-9]{2,4}$'
                then right(a->>'mask', 4) end,
           case when a#>>'{balances,iso_currency_code}' = 'USD' then 'USD'
                else 'CAD' end,
           coalesce(round((a#>>'{balances,current}')::numeric * 100), 0),
           round((a#>>'{balances,available}')::numeric * 100),
           round((a#>>'{balances,limit}')::numeric * 100),
           now()
    from jsonb_array_elements(p_accounts) a
    on conflict (item_id, plaid_account_id) do update
    set name = excluded.name, official_name = excluded.official_name,
        type = excluded.type, subtype = excluded.subtype,
        mask = excluded.mask, currency = excluded.currency,
        balance_cents = excluded.balance_cents,
        available_cents = excluded.available_cents,
        limit_cents = excluded.limit_cents,
        balance_updated_at = excluded.balance_updated_at,
        updated_at = now()
$$;


-- A newly exchanged item, its accounts, and its first sync queued.
-- status: ok | duplicate (the user has this institution linked already:
-- the new item is queued for removal at Plaid instead).
create function north.plaid_link(p_user uuid, p_plaid_item text,
    p_institution text, p_token text, p_key_id text, p_accounts jsonb)
returns table (status text, item_id uuid)
language plpgsql as $$
declare
    v_item uuid;
begin
    insert into north.plaid_items (user_id, plaid_item_id, institution_id,
                                   access_token, token_key_id)
    values (p_user, p_plaid_item, p_institution, p_token, p_key_id)
    on conflict (user_id, institution_id) do nothing
    returning id into v_item;

    if v_item is null then
        insert into north.plaid_removals (plaid_item_id, access_token,
                                          token_key_id)
        values (p_plaid_item, p_token, p_key_id);
        insert into north.jobs (kind) values ('plaid.remove');

        return query select 'duplicate'::text,
            (select i.id from north.plaid_items i
             where i.user_id = p_user and i.institution_id = p_institution);
        return;
    end if;

    perform north.plaid_accounts_upsert(v_item, p_user, p_accounts);
    perform north.plaid_sync_queue(v_item);

    return query select 'ok'::text, v_item;
end $$;


-- One page of /transactions/sync, applied in one transaction with the
-- cursor that follows it: a crash anywhere leaves the cursor and the rows
-- consistent, and a page applied twice changes nothing more. Returns the
-- page's has_more and next_cursor, and how many rows it carried.
create function north.plaid_apply_page(p_item uuid, p_page jsonb)
returns table (has_more boolean, next_cursor text, rows integer)
language plpgsql as $$
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
        user_category, notes, hidden)
    select v_user, a.id, p_item, x.transaction_id, x.pending_transaction_id,
           -round(x.amount * 100)::bigint,
           case when x.iso_currency_code = 'USD' then 'USD' else 'CAD' end,
           x.date, x.authorized_date, x.name, x.merchant_name,
           coalesce(x.pending, false), x.payment_channel,
           x.personal_finance_category->>'primary',
           x.personal_finance_category->>'detailed', x.location,
           p.user_category, p.notes, coalesce(p.hidden, false)
    from (select distinct on (x.transaction_id) x.*
          from jsonb_array_elements(coalesce(p_page->'added', '[]')
                                    || coalesce(p_page->'modified', '[]'))
               with ordinality as e(doc, n)
          cross join lateral jsonb_to_record(e.doc) as x(
                   transaction_id text, account_id text,
                   pending_transaction_id text, amount numeric,
                   iso_currency_code text, date date, authorized_date date,
                   name text, merchant_name text, pending boolean,
                   payment_channel text, personal_finance_category jsonb,
                   location jsonb)
          order by x.transaction_id, e.n desc) x
    join north.accounts a on a.item_id = p_item
                         and a.plaid_account_id = x.account_id
    left join lateral (
        select o.user_category, o.notes, o.hidden
        from north.transactions o
        where o.item_id = p_item and x.pending_transaction_id is not null
          and o.plaid_transaction_id = x.pending_transaction_id) p on true
    on conflict (item_id, plaid_transaction_id) do update
    set account_id = excluded.account_id,
        pending_transaction_id = excluded.pending_transaction_id,
        amount_cents = excluded.amount_cents, currency = excluded.currency,
        date = excluded.date, authorized_date = excluded.authorized_date,
        name = excluded.name, merchant_name = excluded.merchant_name,
        pending = excluded.pending, payment_channel = excluded.payment_channel,
        pfc_primary = excluded.pfc_primary,
        pfc_detailed = excluded.pfc_detailed, location = excluded.location,
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
end $$;


-- The item's health after an error of Plaid's or a webhook.
create function north.plaid_item_health(p_plaid_item text, p_health text,
    p_detail text)
returns table (item_id uuid, user_id uuid)
language sql as $$
    update north.plaid_items
    set health = p_health, health_detail = p_detail, updated_at = now()
    where plaid_item_id = p_plaid_item
    returning id, user_id
$$;




-- What a verified webhook says of an item: a sync to run, or its health.
-- Returns the item's user (for the audit record), none for an item unknown.
create function north.plaid_webhook(p_plaid_item text, p_type text,
    p_code text, p_error_code text)
returns table (user_id uuid)
language plpgsql as $$
declare
    i north.plaid_items;
begin
    select * into i from north.plaid_items where plaid_item_id = p_plaid_item;

    if not found then
        return;
    end if;

    if p_type = 'TRANSACTIONS' then
        perform north.plaid_sync_queue(i.id);

    elsif p_type = 'ITEM' and p_code = 'ERROR' then
        update north.plaid_items
        set health = case when p_error_code = 'ITEM_LOGIN_REQUIRED'
                          then 'login_required' else 'error' end,
            health_detail = p_error_code, updated_at = now()
        where id = i.id;

    elsif p_type = 'ITEM' and p_code = 'PENDING_DISCONNECT' then
        update north.plaid_items
        set health = 'pending_disconnect', health_detail = p_code,
            updated_at = now()
        where id = i.id;

    elsif p_type = 'ITEM' and p_code = 'LOGIN_REPAIRED' then
        update north.plaid_items
        set health = 'good', health_detail = null, updated_at = now()
        where id = i.id;
        perform north.plaid_sync_queue(i.id);
    end if;

    return query select i.user_id;
end $$;
