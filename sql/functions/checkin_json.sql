-- The answer to a check-in: the day it counted for, whether it was
-- already, the points it earned and the caller's state after it.
create or replace function north.checkin_json(p_user uuid, p_day date,
    p_already boolean, p_points integer, p_fr boolean)
returns json
language sql stable as $$
    select json_build_object(
        'day', p_day,
        'already_checked_in', p_already,
        'points_awarded', p_points,
        'points', coalesce(t.points, 0),
        'level', north.level_json(coalesce(t.points, 0), p_fr),
        'streak', north.streak_json(s, north.user_today(p_user), 1))
    from (select p_user as user_id) u
    left join north.points_totals t on t.user_id = u.user_id
    left join north.streaks s on s.user_id = u.user_id and s.kind = 'checkin'
$$;
