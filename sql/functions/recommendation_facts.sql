-- What GET /v1/recommendations computes from: nothing but the consent when
-- the user has not granted analytics; else the insights' facts, this
-- year's tax facts, the credit cards that owe, the goals with what
-- progress is computed from (north.goal_rows_json), and what was dismissed or
-- snoozed (until a day still to come).
create or replace function north.recommendation_facts(p_user uuid)
returns jsonb
language plpgsql stable
set jit = off
as $$
begin
    return (
    select case when not north.consent_granted(p_user, 'analytics')
           then jsonb_build_object('consent', false)
           else jsonb_build_object(
        'consent', true,
        'insights', north.insights_facts(p_user),
        'tax', north.tax_facts(p_user, null),
        'cards', coalesce((select jsonb_agg(jsonb_build_array(a.name,
                                                a.balance_cents)
                                            order by a.balance_cents desc)
                           from north.accounts a
                           where a.user_id = p_user and a.type = 'credit'
                             and a.currency = 'CAD' and a.balance_cents > 0),
                          '[]'),
        'goals', north.goal_rows_json(p_user, null),
        'dismissed', coalesce((select jsonb_agg(d.recommendation_id)
                               from north.recommendation_dismissals d
                               where d.user_id = p_user
                                 and (d.until is null
                                      or d.until > north.user_today(p_user))),
                              '[]'))
           end);
end
$$;
