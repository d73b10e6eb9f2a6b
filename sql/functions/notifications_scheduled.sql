-- The notifications a clock brings at p_now (the sweep passes
-- north.clock_now()), each once, in the user's zone:
--   - streak_at_risk: from 20:00, to a user whose check-in streak counted
--     yesterday and not yet today; not once their quiet hours have begun (a
--     reminder held to the morning would come after the streak ended);
--   - weekly_summary: on Sunday from 10:00, to a user with transactions in
--     the last two weeks: the spending of the week now ending (Monday to
--     Sunday) against the week before, and its top spending category.
-- notify() applies preferences, consent and quiet hours as for any other.
-- Returns how many were queued.
create or replace function north.notifications_scheduled(p_now timestamptz)
returns integer
language plpgsql as $$
declare
    r      record;
    p      north.notification_preferences;
    v_week json;
    v_top  json;
    n      integer := 0;
begin
    -- the zone from the row, not north.user_zone(): no lookup a user
    for r in
        select s.user_id, s.current, z.zone, z.local
        from north.streaks s
        join north.users u on u.id = s.user_id
        cross join lateral (
            select zone, p_now at time zone zone as local
            from north.zone_of(u.time_zone, u.province) as zone) z
        where s.kind = 'checkin' and s.current > 0
          and u.erasure_requested_at is null
          and s.last_period = z.local::date - 1
          and z.local::time >= time '20:00'
    loop
        p := north.notification_preferences_of(r.user_id);
        continue when north.quiet_release(p_now, r.zone, p.quiet_start,
                                          p.quiet_end) > p_now;
        if north.notify(r.user_id, 'streaks', 'streak_at_risk',
                        jsonb_build_object('days', r.current),
                        'streak_at_risk:' || r.local::date, p_now)
           is not null
        then
            n := n + 1;
        end if;
    end loop;

    for r in
        select u.id as user_id, z.local
        from north.users u
        cross join lateral (
            select p_now at time zone north.zone_of(u.time_zone, u.province)
                   as local) z
        where u.erasure_requested_at is null
          and extract(isodow from z.local) = 7
          and z.local::time >= time '10:00'
          and not exists (select 1 from north.notifications x
                          where x.user_id = u.id
                            and x.dedup_key = 'weekly_summary:' || z.local::date)
          and exists (select 1 from north.transactions t
                      where t.user_id = u.id
                        and t.date between z.local::date - 13 and z.local::date)
    loop
        v_week := north.spending_json(r.user_id, 'week', r.local::date, false);
        select c into v_top
        from json_array_elements(v_week->'categories') c
        where c->>'kind' = 'spending'
        limit 1;

        if north.notify(r.user_id, 'summary', 'weekly_summary',
               jsonb_build_object(
                   'spending_cents', v_week->'spending_cents',
                   'previous_cents', v_week->'previous'->'spending_cents',
                   'top_en', v_top->>'name',
                   'top_fr', (select c.name_fr from north.categories c
                              where c.id = v_top->>'id'),
                   'top_cents', v_top->'cents',
                   'week', v_week->>'start'),
               'weekly_summary:' || r.local::date, p_now)
           is not null
        then
            n := n + 1;
        end if;
    end loop;

    return n;
end $$;
