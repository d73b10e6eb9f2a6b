-- A user's rules, newest first.
create or replace function north.category_user_rules_json(p_user uuid)
returns json
language sql stable as $$
    select json_build_object('rules', coalesce(json_agg(json_build_object(
               'id', r.id, 'pattern', r.pattern, 'category', r.category,
               'created_at', north.rfc3339(r.created_at))
               order by r.created_at desc, r.id), '[]'))
    from north.category_user_rules r where r.user_id = p_user
$$;
