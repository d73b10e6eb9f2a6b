-- Each achievement's progress for a user, measured from the ledger and the
-- services' tables (never from what a client says), with when it was
-- earned. The criteria:
--   checkin_streak     the longest daily check-in streak
--   goals_reached      goals that reached their 100% milestone
--   saved_cents        saved toward savings goals, in cents
--   emergency_months   chequing and savings (CAD) over the average month
--                      of spending of the last 90 days (0 without spending)
--   month_categorised  1 when this month (the user's) has transactions and
--                      none uncategorised
--   rules              category rules made
-- (PL/pgSQL: its plans are kept for the connection; an SQL function
-- with a FROM is planned again at every call.)
create or replace function north.achievements_progress(p_user uuid)
returns table (id text, current numeric, target numeric,
               earned_at timestamptz)
language plpgsql stable as $$
begin
    return query
        with today as (select north.user_today(p_user) as day),
        m as (
            select
                (select coalesce(max(s.longest), 0) from north.streaks s
                 where s.user_id = p_user and s.kind = 'checkin')
                    as checkin_streak,
                (select count(distinct g.goal_id) from north.goal_milestones g
                 where g.user_id = p_user and g.percent = 100) as goals_reached,
                (select coalesce(sum(r.saved), 0)
                 from north.goal_rows(p_user, null) r
                 where r.goal->>'kind' = 'savings') as saved_cents,
                (select coalesce(sum(a.balance_cents), 0) from north.accounts a
                 where a.user_id = p_user and a.type = 'depository'
                   and a.currency = 'CAD'
                   and coalesce(a.subtype, 'checking') in ('checking', 'savings'))
                    as liquid,
                (select coalesce(-sum(t.amount_cents), 0) / 3.0
                 from north.transactions t
                 join north.categories c on c.id = t.category
                 where t.user_id = p_user and c.kind = 'spending'
                   and not t.hidden and not t.pending and t.currency = 'CAD'
                   and t.date > (select day from today) - 90) as monthly,
                (select case when count(*) > 0
                                  and count(*) filter
                                      (where t.category = 'uncategorised') = 0
                             then 1 else 0 end
                 from north.transactions t
                 where t.user_id = p_user and not t.hidden
                   and t.date >= date_trunc('month', (select day from today)))
                    as month_categorised,
                (select count(*) from north.category_user_rules r
                 where r.user_id = p_user) as rules)
        select a.id,
               case a.criterion
                   when 'checkin_streak' then m.checkin_streak
                   when 'goals_reached' then m.goals_reached
                   when 'saved_cents' then m.saved_cents
                   when 'emergency_months' then
                       case when m.monthly > 0
                            then round(m.liquid / m.monthly, 2) else 0 end
                   when 'month_categorised' then m.month_categorised
                   when 'rules' then m.rules
               end,
               a.target, u.earned_at
        from north.achievements a
        cross join m
        left join north.user_achievements u
               on u.user_id = p_user and u.achievement = a.id
        order by a.sort;
end $$;
