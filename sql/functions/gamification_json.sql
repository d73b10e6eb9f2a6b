-- GET /v1/gamification: the points, the level and the way to the next,
-- both streaks as of the caller's today, the five latest awards and how
-- many achievements are earned.
-- Achievements met since the last event are recorded first.
create or replace function north.gamification_json(p_user uuid,
    p_fr boolean)
returns json
language plpgsql as $$
begin
    perform north.achievements_evaluate(p_user);

    return (
        select json_build_object(
            'points', coalesce(t.points, 0),
            'level', north.level_json(coalesce(t.points, 0), p_fr),
            'streaks', json_build_object(
                'checkin', north.streak_json(c, d.today, 1),
                'savings', north.streak_json(s,
                               date_trunc('week', d.today)::date, 7)),
            'recent', (select coalesce(json_agg(
                                  north.points_entry_json(l, p_fr)
                                  order by l.id desc), '[]')
                       from (select * from north.points_ledger l
                             where l.user_id = p_user
                             order by l.id desc limit 5) l),
            'achievements', json_build_object(
                'earned', (select count(*) from north.user_achievements e
                           where e.user_id = p_user),
                'total', (select count(*) from north.achievements)))
        from (select north.user_today(p_user) as today) d
        left join north.points_totals t on t.user_id = p_user
        left join north.streaks c on c.user_id = p_user and c.kind = 'checkin'
        left join north.streaks s on s.user_id = p_user and s.kind = 'savings');
end $$;
