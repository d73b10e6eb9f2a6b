-- Net worth now, by type and institution, and its daily history over the
-- range (1m, 3m, 1y, all): each day's value is every source's last
-- snapshot on or before it (the running sum of their deltas), so days
-- without a change have no gap. Amounts
-- are CAD cents; other currencies at their latest stored rate, named in fx.
create or replace function north.net_worth_json(p_user uuid, p_range text)
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
