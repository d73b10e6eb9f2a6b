-- Milestones the progress just reached; each is kept once, at its first.
create or replace function north.goal_milestones_record(p_user uuid, p_goals uuid[],
    p_percents integer[])
returns void
language sql as $$
    insert into north.goal_milestones (goal_id, user_id, percent)
    select x.goal, p_user, x.percent
    from unnest(p_goals, p_percents) as x(goal, percent)
    join north.goals g on g.id = x.goal and g.user_id = p_user
    on conflict (goal_id, percent) do nothing
$$;
