-- Where p_points stand: the level, its name, the points into it, those
-- still needed for the next and the percent of the way (100 at the top).
-- (PL/pgSQL: its plans are kept for the connection; an SQL function
-- with a FROM is planned again at every call.)
create or replace function north.level_json(p_points bigint, p_fr boolean)
returns json
language plpgsql stable as $$
begin
    return (
        select json_build_object(
            'level', l.level,
            'name', case when p_fr then l.name_fr else l.name_en end,
            'min_points', l.min_points,
            'next_level_points', n.min_points,
            'points_into_level', p_points - l.min_points,
            'points_to_next', n.min_points - p_points,
            'percent', case when n.level is null then 100
                            else floor(100.0 * (p_points - l.min_points)
                                       / (n.min_points - l.min_points))::int end)
        from (select * from north.levels where min_points <= p_points
              order by level desc limit 1) l
        left join lateral (select * from north.levels
                           where level > l.level
                           order by level limit 1) n on true);
end $$;
