-- The user's date now, in their zone (north.user_zone).
create or replace function north.user_today(p_user uuid)
returns date
language sql stable as $$
    select (now() at time zone north.user_zone(p_user))::date
$$;
