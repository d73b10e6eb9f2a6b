-- An item's accounts and balances as Plaid lists them (credit balances are
-- what is owed).
create or replace function north.plaid_accounts_upsert(p_item uuid, p_user uuid,
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
