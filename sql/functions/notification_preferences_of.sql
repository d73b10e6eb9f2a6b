-- A user's notification preferences: theirs, else the defaults.
create or replace function north.notification_preferences_of(p_user uuid)
returns north.notification_preferences
language sql stable as $$
    select coalesce(
        (select p from north.notification_preferences p
         where p.user_id = p_user),
        north.notification_defaults(p_user))
$$;
