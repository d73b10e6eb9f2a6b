-- plaid_apply_page (0005) with the page categorised in its INSERT, as one
-- batch, rather than by the trigger row by row
create or replace function north.plaid_apply_page(p_item uuid, p_page jsonb)
returns table (has_more boolean, next_cursor text, rows integer)
language plpgsql
set jit = off       -- compiling a page's INSERT costs more than running it
as $$
declare
    v_user  uuid;
    v_prefs north.notification_preferences;
    v_above uuid[];
    v_today date;
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

    -- balances as of this page; a chequing or savings account that falls
    -- under the user's low-balance threshold is an event (notifications)
    v_prefs := north.notification_preferences_of(v_user);
    v_today := north.user_today(v_user);

    select array_agg(a.id) into v_above from north.accounts a
    where a.item_id = p_item and a.type = 'depository'
      and coalesce(a.available_cents, a.balance_cents)
          >= v_prefs.low_balance_cents;

    perform north.plaid_accounts_upsert(p_item, v_user,
                                        coalesce(p_page->'accounts', '[]'));

    perform north.event_put(v_user, 'low_balance', a.id::text,
                            'low_balance:' || a.id || ':' || v_today)
    from north.accounts a
    where a.id = any(v_above)
      and coalesce(a.available_cents, a.balance_cents)
          < v_prefs.low_balance_cents;

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

    -- a large spending of the last two days is an event (notifications):
    -- the history a first sync brings is not news, and a posted one whose
    -- pending one came before was news then
    perform north.event_put(v_user, 'large_transaction', t.id::text,
                            'large_transaction:' || t.id)
    from jsonb_array_elements(coalesce(p_page->'added', '[]')) e(doc)
    join north.transactions t on t.item_id = p_item
                             and t.plaid_transaction_id = e.doc->>'transaction_id'
    where t.amount_cents <= -v_prefs.large_tx_cents
      and t.date >= v_today - 2
      and t.pending_transaction_id is null;

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
