-- A streak as the app shows it on p_today (the user's date; for a weekly
-- streak, the Monday of the user's week): current is 0 once a whole
-- period passed without one, unless a freeze can still cover the single
-- day missed (the daily streak, p_unit 1).
create or replace function north.streak_json(s north.streaks, p_today date,
    p_unit integer)
returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'current', case
            when s.last_period is null then 0
            when p_today - s.last_period <= p_unit then s.current
            when p_unit = 1 and p_today - s.last_period = 2
                 and north.streak_freeze_ready(s.freeze_on, p_today - 1)
                then s.current
            else 0 end,
        'longest', coalesce(s.longest, 0),
        'last', s.last_period)
    || case when p_unit = 1 then jsonb_build_object(
            'checked_in_today', coalesce(s.last_period >= p_today, false),
            'freeze', jsonb_build_object(
                'available', north.streak_freeze_ready(s.freeze_on, p_today),
                'last_used_on', s.freeze_on))
       else jsonb_build_object(
            'this_week', coalesce(s.last_period >= p_today, false)) end
$$;
