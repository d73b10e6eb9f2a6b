-- Today's snapshot of one balance source (an account or a manual item),
-- written by the triggers of both when a balance changes: a liability's
-- value counts against net worth.
create or replace function north.balance_snapshot_put(p_source uuid,
    p_user uuid, p_account uuid, p_item uuid, p_liability boolean,
    p_value bigint, p_currency text)
returns void
language sql as $$
    insert into north.balance_snapshots (source_id, day, user_id, account_id,
        manual_item_id, liability, cents, currency)
    values (p_source, north.user_today(p_user), p_user, p_account, p_item,
            p_liability, case when p_liability then -p_value else p_value end,
            p_currency)
    on conflict (source_id, day) do update
    set liability = excluded.liability, cents = excluded.cents,
        currency = excluded.currency, taken_at = now();
$$;
