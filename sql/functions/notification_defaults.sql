-- A user's notification preferences before they set any.
create or replace function north.notification_defaults(p_user uuid)
returns north.notification_preferences
language sql stable as $$
    select row(p_user, '{}'::jsonb, '21:00'::time, '08:00'::time,
               50000::bigint, 10000::bigint, now())::north.notification_preferences
$$;
