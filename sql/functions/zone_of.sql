-- A user's zone from the profile's columns: the zone the user set, else
-- their province's, else Toronto's. Inlined where it is called, so a pass
-- over many users (north.notifications_scheduled) looks nothing up.
create or replace function north.zone_of(p_time_zone text, p_province text)
returns text
language sql immutable as $$
    select coalesce(p_time_zone, north.province_time_zone(p_province),
                    'America/Toronto')
$$;
