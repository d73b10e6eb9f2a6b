-- The daily snapshot of every balance that has none yet for the user's
-- today (the job runner's sweep calls it): history has a row for each day
-- even when nothing moves.
create or replace function north.balance_snapshots_daily()
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
