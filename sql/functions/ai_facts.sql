-- What North AI answers from, for one intent: the same figures the
-- analytics, goals, insights and tax endpoints compute, never a model's.
-- p_q holds the slots with every period already resolved (start, end,
-- start2, end2: dates), categories, merchant, account_id, account_kind,
-- by ("merchant" or "category"), limit. Nothing without the analytics
-- consent.
--
-- Planned at each call (plan_cache_mode): a generic plan cannot see which
-- of p_q's filters are absent, and runs three times slower than a plan
-- made for the question.
create or replace function north.ai_facts(p_user uuid, p_intent text,
    p_q jsonb, p_fr boolean)
returns jsonb
language plpgsql stable
set jit = off
set plan_cache_mode = force_custom_plan
as $$
declare
    v_start  date := (p_q->>'start')::date;
    v_end    date := (p_q->>'end')::date;
    v_limit  integer := coalesce((p_q->>'limit')::integer, 5);
    v_nw     json;
begin
    if not north.consent_granted(p_user, 'analytics') then
        return jsonb_build_object('consent', false);
    end if;

    case p_intent
    when 'spending', 'income' then
        return (select jsonb_build_object('consent', true,
                    'cents', coalesce(case when p_intent = 'income'
                                           then sum(r.cents)
                                           else -sum(r.cents) end, 0),
                    'count', count(*))
                from north.ai_rows(p_user, v_start, v_end, p_q) r
                where r.kind = case when p_intent = 'income' then 'income'
                                    else 'spending' end);

    when 'compare' then
        return jsonb_build_object('consent', true,
            'now', (select jsonb_build_array(coalesce(-sum(r.cents), 0),
                                             count(*))
                    from north.ai_rows(p_user, v_start, v_end, p_q) r
                    where r.kind = 'spending'),
            'then', (select jsonb_build_array(coalesce(-sum(r.cents), 0),
                                              count(*))
                     from north.ai_rows(p_user, (p_q->>'start2')::date,
                                        (p_q->>'end2')::date, p_q) r
                     where r.kind = 'spending'));

    when 'top' then
        -- one read of the rows for the total and the ranking
        return (with y as materialized (
                    select case when p_q->>'by' = 'merchant'
                                then r.label else r.category end as key,
                           case when p_q->>'by' = 'merchant' then r.label
                                when p_fr then c.name_fr
                                else c.name_en end as label,
                           -r.cents as cents
                    from north.ai_rows(p_user, v_start, v_end, p_q) r
                    join north.categories c on c.id = r.category
                    where r.kind = 'spending'),
                x as (
                    select y.key, max(y.label) as label, sum(y.cents) as cents,
                           count(*) as n
                    from y group by y.key
                    having sum(y.cents) > 0
                    order by 3 desc, 1 limit v_limit)
                select jsonb_build_object('consent', true,
                    'total', (select coalesce(sum(y.cents), 0) from y),
                    'items', coalesce((select jsonb_agg(jsonb_build_array(
                                           x.key, x.label, x.cents, x.n)
                                           order by x.cents desc, x.key)
                                       from x), '[]')));

    when 'largest' then
        return jsonb_build_object('consent', true,
            'items', coalesce((
                select jsonb_agg(jsonb_build_array(x.id, x.date, x.label,
                                                   x.cents, x.name)
                                 order by x.cents desc, x.date desc, x.id)
                from (select r.id, r.date, r.label, -r.cents as cents,
                             case when p_fr then c.name_fr
                                  else c.name_en end as name
                      from north.ai_rows(p_user, v_start, v_end, p_q) r
                      join north.categories c on c.id = r.category
                      where r.kind = 'spending' and r.cents < 0
                      order by r.cents, r.date desc, r.id
                      limit v_limit) x), '[]'));

    when 'balance' then
        return jsonb_build_object('consent', true,
            'accounts', coalesce((
                select jsonb_agg(jsonb_build_array(a.id, a.name,
                                     north.account_kind(a.type, a.subtype),
                                     round(a.balance_cents * fx.rate)::bigint,
                                     north.account_is_liability(a.type))
                                 order by a.created_at, a.id)
                from north.accounts a
                left join north.fx_current fx on fx.currency = a.currency
                where a.user_id = p_user
                  and (p_q->>'account_id' is null
                       or a.id = (p_q->>'account_id')::uuid)
                  and (p_q->>'account_kind' is null
                       or north.account_kind(a.type, a.subtype)
                          = p_q->>'account_kind')), '[]'));

    when 'net_worth' then
        v_nw := north.net_worth_json(p_user, 'all');
        return jsonb_build_object('consent', true,
            'now', v_nw->'net_worth',
            'assets', v_nw->'assets',
            'liabilities', v_nw->'liabilities',
            'then', case when v_start is null then null else (
                select (p->>'net_worth')::bigint
                from json_array_elements(v_nw->'history'->'points') p
                where (p->>'date')::date <= v_start
                order by (p->>'date')::date desc limit 1) end);

    when 'goal' then
        return jsonb_build_object('consent', true,
            'goals', north.goal_rows_json(p_user, (p_q->>'goal_id')::uuid));

    when 'room' then
        return jsonb_build_object('consent', true,
                                  'tax', north.tax_facts(p_user, null));

    when 'subscriptions' then
        return jsonb_build_object('consent', true,
                                  'insights', north.insights_facts(p_user));

    when 'afford' then
        return jsonb_build_object('consent', true,
            'insights', north.insights_facts(p_user),
            'goals', north.goal_rows_json(p_user, null),
            -- a month of essential spending: the last 90 days' over three
            'essential_cents', (
                select div(coalesce(-sum(r.cents), 0), 3)::bigint
                from north.ai_rows(p_user, north.user_today(p_user) - 90,
                                   north.user_today(p_user) - 1,
                                   '{"categories": ["housing", "utilities",
                                     "groceries", "transportation",
                                     "insurance", "health", "childcare",
                                     "loan_payments", "government_taxes"]}')
                     r
                where r.kind = 'spending'));

    else
        return jsonb_build_object('consent', true);
    end case;
end
$$;
