-- north.goal_rows as the facts documents carry them (recommendations, the
-- assistant): one array a goal, [goal, saved, target, today, target_date,
-- pace, pace_days], read back by north_goal_read() in C.
create or replace function north.goal_rows_json(p_user uuid, p_goal uuid)
returns jsonb
language sql stable as $$
    select coalesce(jsonb_agg(jsonb_build_array(g.goal, g.saved, g.target,
                                                g.today, g.target_date, g.pace,
                                                g.pace_days)), '[]')
    from north.goal_rows(p_user, p_goal) g
$$;
