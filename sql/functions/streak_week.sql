-- The weekly savings streak after a contribution at p_at: the Monday of
-- the user's week then (a week passed without one breaks it; no freeze).
create or replace function north.streak_week(p_user uuid, p_at timestamptz)
returns void
language plpgsql as $$
declare
    s      north.streaks;
    v_zone text := north.user_zone(p_user);
    v_week date;
    v_step record;
begin
    s := north.streak_lock(p_user, 'savings');

    v_week := date_trunc('week',
                         north.checkin_day(p_at, v_zone, s.last_zone))::date;
    v_step := north.streak_step(s.current, s.longest, s.last_period, null,
                                v_week, 7, false);

    if v_step.counted then
        update north.streaks
        set current = v_step.current, longest = v_step.longest,
            last_period = v_week, last_zone = v_zone, updated_at = now()
        where user_id = p_user and kind = 'savings';
    end if;
end $$;
