-- What progress is computed from (north_goal_progress() in C): saved so
-- far and over the pace window (the last 90 days, or the goal's age), the
-- target, the dates, the milestones already recorded and the goal itself.
-- An account's goal: savings is its balance, a debt the part paid off.
create or replace function north.goal_rows(p_user uuid, p_goal uuid)
returns table (goal json, saved bigint, target bigint, today date,
               target_date date, pace bigint, pace_days integer,
               milestones json)
language sql stable as $$
    select json_build_object('id', g.id, 'name', g.name, 'kind', g.kind,
               'purpose', g.purpose, 'target_cents', g.target_cents,
               'target_date', g.target_date, 'account_id', g.account_id,
               'tracking', g.tracking, 'created_at', north.rfc3339(g.created_at),
               'updated_at', north.rfc3339(g.updated_at)),
           s.saved, g.target_cents, w.today, g.target_date,
           s.saved - s.before, w.days,
           coalesce((select json_agg(json_build_object('percent', m.percent,
                                     'reached_at', north.rfc3339(m.reached_at))
                                     order by m.percent)
                     from north.goal_milestones m where m.goal_id = g.id),
                    '[]')
    from north.goals g
    cross join (select north.user_today(p_user) as today) t
    cross join lateral (
        select t.today, least(90, t.today - g.created_on + 1) as days) w
    left join north.accounts a on a.id = g.account_id
    cross join lateral (
        select case
               when g.tracking = 'contributions' then
                   (select coalesce(sum(amount_cents), 0)
                    from north.goal_contributions c where c.goal_id = g.id)
               when g.kind = 'savings' then coalesce(a.balance_cents, 0)
               else g.start_cents - coalesce(a.balance_cents, g.start_cents)
               end as saved,
               case
               when g.tracking = 'contributions' then
                   (select coalesce(sum(amount_cents), 0)
                    from north.goal_contributions c
                    where c.goal_id = g.id and c.made_on <= w.today - w.days)
               when g.kind = 'savings' then
                   coalesce(north.balance_on(a.id, w.today - w.days),
                            a.balance_cents, 0)
               else g.start_cents
                    + coalesce(north.balance_on(a.id, w.today - w.days),
                               -a.balance_cents, -g.start_cents) end as before
    ) s
    where g.user_id = p_user and (p_goal is null or g.id = p_goal)
    order by g.created_at, g.id
$$;
