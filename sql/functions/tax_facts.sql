-- What the tax endpoints compute from, in one document: the user's today
-- and tax profile, the year asked (null: this year), the years North has
-- figures for, the federal and provincial figures of that year, the
-- registered accounts' annual limits, and the movements of the user's TFSA,
-- RRSP and FHSA accounts. A movement is a transfer into (TRANSFER_IN) or
-- out of (TRANSFER_OUT) the account, or one with no category: interest,
-- dividends, fees and trades inside it are neither contributions nor
-- withdrawals. Pending transactions wait until they post. Contributions of
-- a day come before its withdrawals. PL/pgSQL, so that a session plans
-- the statement once (an SQL function's is planned at every call: 30 ms of
-- the 32 it took on the 100,000-transaction user).
create or replace function north.tax_facts(p_user uuid, p_year int)
returns jsonb
language plpgsql stable
set jit = off
as $$
begin
    return (
    with f as (
        select north.user_today(p_user) as today,
               north.tax_profile_json(p_user) as profile
    ), y as (
        select coalesce(p_year, extract(year from f.today)::int) as year,
               f.today, f.profile,
               f.profile -> 'in_effect' ->> 'province' as province
        from f
    )
    select jsonb_build_object(
        'today', y.today,
        'year', y.year,
        'profile', y.profile,
        'years', (select jsonb_agg(j.year order by j.year)
                  from north.tax_jurisdictions j
                  where j.jurisdiction = 'CA'),
        'federal', north.tax_rules_json('CA', y.year),
        'provincial', north.tax_rules_json(y.province, y.year),
        'limits', (select jsonb_object_agg(k.kind, k.years)
                   from (select l.kind,
                                jsonb_build_object(
                                    'from', min(l.year),
                                    'annual', jsonb_agg(l.annual_cents
                                                        order by l.year),
                                    'carry_max', max(l.carry_max_cents),
                                    'lifetime', max(l.lifetime_cents))
                                as years
                         from north.tax_account_limits l
                         group by l.kind) k),
        'accounts', (select jsonb_object_agg(a.kind, a.n)
                     from (select lower(a.subtype) as kind, count(*) as n
                           from north.accounts a
                           where a.user_id = p_user
                             and lower(a.subtype) in ('tfsa', 'rrsp', 'fhsa')
                           group by 1) a),
        'moves', coalesce((select jsonb_object_agg(m.kind, m.list)
                           from (select d.kind,
                                        jsonb_agg(jsonb_build_array(d.date,
                                                                    d.cents)
                                                  order by d.date,
                                                           d.cents desc)
                                        as list
                                 from (select lower(a.subtype) as kind, t.date,
                                              sum(t.amount_cents) as cents
                                       from north.accounts a
                                       join north.transactions t
                                         on t.account_id = a.id
                                       where a.user_id = p_user
                                         and lower(a.subtype)
                                             in ('tfsa', 'rrsp', 'fhsa')
                                         and not t.pending
                                         and t.currency = 'CAD'
                                         and case when t.amount_cents > 0
                                                  then coalesce(t.pfc_primary,
                                                       'TRANSFER_IN')
                                                       = 'TRANSFER_IN'
                                                  else coalesce(t.pfc_primary,
                                                       'TRANSFER_OUT')
                                                       = 'TRANSFER_OUT' end
                                       group by 1, 2, t.amount_cents > 0) d
                                 group by d.kind) m), '{}'))
    from y);
end
$$;
