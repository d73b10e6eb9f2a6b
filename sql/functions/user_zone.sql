-- The user's zone: the profile's, else the province's, else Toronto's.
create or replace function north.user_zone(p_user uuid)
returns text
language sql stable as $$
    select north.zone_of(u.time_zone, u.province)
    from north.users u where u.id = p_user
$$;
