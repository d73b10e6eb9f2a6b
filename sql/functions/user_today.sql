-- The user's date now, in their zone (the profile's, else the province's).
create or replace function north.user_today(p_user uuid)
returns date
language sql stable as $$
    select (now() at time zone coalesce(u.time_zone,
                                        north.province_time_zone(u.province),
                                        'America/Toronto'))::date
    from north.users u where u.id = p_user
$$;
