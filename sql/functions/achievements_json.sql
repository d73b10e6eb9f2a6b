-- GET /v1/gamification/achievements: earned ones with their time, locked
-- ones with their progress, in the catalog's order and the caller's
-- language. Achievements met since the last event are recorded on the way
-- (north.achievements_evaluate, which measures each once).
create or replace function north.achievements_json(p_user uuid,
    p_fr boolean)
returns json
language plpgsql as $$
begin
    return (
        select json_build_object('achievements', coalesce(json_agg(
            json_build_object(
                'id', a.id,
                'name', case when p_fr then a.name_fr else a.name_en end,
                'description', case when p_fr then a.description_fr
                                    else a.description_en end,
                'earned', p.earned_at is not null,
                'earned_at', north.rfc3339(p.earned_at),
                'current', least(p.current, a.target),
                'target', a.target)
            order by a.sort), '[]'))
        from north.achievements_evaluate(p_user) p
        join north.achievements a on a.id = p.id);
end $$;
