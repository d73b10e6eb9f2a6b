-- What GET /v1/insights computes from, in one document: the user's today;
-- spending by category for this month and the six before, in full and up
-- to today's day of the month; the series of like transactions at each
-- merchant over 400 days (money out for spending, money in for income;
-- 2 to 60 of them: a merchant paid more often is no subscription), the
-- category names, the liquid balance (CAD chequing and savings) and the
-- dismissed findings. Transfers, hidden and pending transactions do not
-- count; other currencies are converted at the latest stored rate.
create or replace function north.insights_facts(p_user uuid)
returns jsonb
language sql stable
set jit = off
as $$
    with d as (
        select north.user_today(p_user) as today),
    tx as (
        select t.date, t.category, c.kind, t.merchant_key,
               coalesce(t.merchant_name, t.name) as label,
               round(t.amount_cents * fx.rate)::bigint as cents
        from north.transactions t
        join north.categories c on c.id = t.category
        join north.fx_current fx on fx.currency = t.currency
        where t.user_id = p_user
          and t.date > (select today from d) - 400
          and t.date <= (select today from d)
          and not t.hidden and not t.pending
          and c.kind in ('spending', 'income')),
    months as (
        select tx.category,
               (extract(year from d.today) * 12 + extract(month from d.today)
                - extract(year from tx.date) * 12
                - extract(month from tx.date))::int as ago,
               -sum(tx.cents) as spent,
               -coalesce(sum(tx.cents) filter (
                   where extract(day from tx.date)
                         <= extract(day from d.today)), 0) as to_day
        from tx, d
        where tx.kind = 'spending'
          and tx.date >= (date_trunc('month', d.today)
                          - interval '6 months')::date
        group by 1, 2),
    series as (
        select tx.merchant_key, tx.kind = 'income' as income,
               (array_agg(tx.label order by tx.date desc))[1] as label,
               (array_agg(tx.category order by tx.date desc))[1] as category,
               jsonb_agg(jsonb_build_array(tx.date, abs(tx.cents))
                         order by tx.date) as charges
        from tx
        where tx.merchant_key <> ''
          and ((tx.kind = 'income' and tx.cents > 0)
               or (tx.kind = 'spending' and tx.cents < 0))
        group by 1, 2
        having count(*) between 2 and 60)
    select jsonb_build_object(
        'today', d.today,
        'since', (select min(t.date) from north.transactions t
                  where t.user_id = p_user),
        'months', coalesce((select jsonb_agg(jsonb_build_array(
                                m.category, m.ago, m.spent, m.to_day))
                            from months m), '[]'),
        'series', coalesce((select jsonb_agg(jsonb_build_array(
                                s.merchant_key, s.income, s.label,
                                s.category, s.charges))
                            from series s), '[]'),
        'categories', (select jsonb_object_agg(c.id, jsonb_build_array(
                                c.name_en, c.name_fr))
                       from north.categories c),
        'liquid', (select jsonb_build_array(count(*),
                                            coalesce(sum(a.balance_cents), 0))
                   from north.accounts a
                   where a.user_id = p_user and a.type = 'depository'
                     and a.currency = 'CAD'
                     and coalesce(a.subtype, 'checking')
                         in ('checking', 'savings', 'cash management')),
        'dismissed', coalesce((select jsonb_object_agg(x.insight_id,
                                                       x.magnitude_cents)
                               from north.insight_dismissals x
                               where x.user_id = p_user), '{}'))
    from d
$$;
