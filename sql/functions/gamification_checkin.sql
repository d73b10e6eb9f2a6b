-- POST /v1/gamification/check-in: the caller's day (north.checkin_day, at
-- the server's now in the profile's zone; the client's clock plays no
-- part) is counted once, whatever the devices and retries: the streak
-- row's lock orders concurrent check-ins, and the second finds the day
-- taken. status: new | already; the answer's body either way.
create or replace function north.gamification_checkin(p_user uuid,
    p_fr boolean)
returns table (status text, body json)
language plpgsql as $$
declare
    s       north.streaks;
    v_zone  text := north.user_zone(p_user);
    v_day   date;
    v_step  record;
    v_award integer;
begin
    s := north.streak_lock(p_user, 'checkin');

    v_day := north.checkin_day(now(), v_zone, s.last_zone);
    v_step := north.streak_step(s.current, s.longest, s.last_period,
                                s.freeze_on, v_day, 1, true);

    if not v_step.counted then
        return query select 'already'::text,
            north.checkin_json(p_user, s.last_period, true, 0, p_fr);
        return;
    end if;

    insert into north.checkins (user_id, day, zone)
    values (p_user, v_day, v_zone);

    update north.streaks
    set current = v_step.current, longest = v_step.longest,
        freeze_on = v_step.freeze_on, last_period = v_day,
        last_zone = v_zone, updated_at = now()
    where user_id = p_user and kind = 'checkin';

    v_award := north.points_award(p_user, 'checkin', 'checkin:' || v_day,
                                  v_day::text, now());
    perform north.achievements_evaluate(p_user);

    return query select 'new'::text,
        north.checkin_json(p_user, v_day, false, v_award, p_fr);
end $$;
