-- Milestones the progress just reached; each is kept once, at its first,
-- and is a domain event then.
create or replace function north.goal_milestones_record(p_user uuid, p_goals uuid[],
    p_percents integer[])
returns void
language sql as $$
    with reached as (
        insert into north.goal_milestones (goal_id, user_id, percent)
        select x.goal, p_user, x.percent
        from unnest(p_goals, p_percents) as x(goal, percent)
        join north.goals g on g.id = x.goal and g.user_id = p_user
        on conflict (goal_id, percent) do nothing
        returning goal_id, percent)
    select north.event_put(p_user, 'goal_milestone', r.goal_id::text,
                           'goal_milestone:' || r.goal_id || ':' || r.percent)
    from reached r
$$;
