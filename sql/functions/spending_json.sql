-- A period's spending, income and saving by category next to the period
-- before it, and its top merchants. Transfers and hidden or pending
-- transactions do not count; refunds lower their category's spending.
-- Amounts are CAD cents (other currencies at the latest stored rate).
create or replace function north.spending_json(p_user uuid, p_period text, p_date date,
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
