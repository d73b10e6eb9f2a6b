-- The category tree, in the locale's names, groups with their children.
create or replace function north.categories_json(p_fr boolean)
returns json
language sql stable as $$
    select json_build_object('categories', json_agg(json_build_object(
               'id', g.id, 'name', case when p_fr then g.name_fr
                                        else g.name_en end,
               'kind', g.kind,
               'children', coalesce((select json_agg(json_build_object(
                       'id', c.id, 'name', case when p_fr then c.name_fr
                                                else c.name_en end,
                       'kind', c.kind) order by c.ord)
                   from north.categories c where c.parent = g.id), '[]'))
               order by g.ord))
    from north.categories g where g.parent is null
$$;
