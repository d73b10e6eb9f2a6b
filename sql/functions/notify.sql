-- Queues a notification of p_template for a user, once per p_key: in the
-- profile's language, unless the user turned its category off or has not
-- granted the notifications consent, held until the user's quiet hours
-- end. Security notices ignore all three. The message
-- FCM is sent stays within its 4,096 bytes: a longer body is cut. Returns
-- the notification's id, or NULL when none was queued.
create or replace function north.notify(p_user uuid, p_category text,
    p_template text, p_params jsonb, p_key text, p_at timestamptz)
returns uuid
language plpgsql as $$
declare
    u      north.users;
    p      north.notification_preferences;
    v_fr   boolean;
    v_text record;
    v_id   uuid;
begin
    select * into u from north.users
    where id = p_user and erasure_requested_at is null;
    if not found then
        return null;
    end if;

    p := north.notification_preferences_of(p_user);

    if p_category <> 'security'
       and (coalesce((p.categories->>p_category)::boolean, true) = false
            or not north.consent_granted(p_user, 'notifications'))
    then
        return null;
    end if;

    v_fr := u.locale like 'fr%';
    v_text := north.notification_text(p_template, p_params, v_fr);
    if v_text.title is null then
        return null;
    end if;

    insert into north.notifications (user_id, category, template, params,
        dedup_key, locale, title, body, not_before, created_at)
    values (p_user, p_category, p_template, p_params, p_key, u.locale,
            v_text.title,
            north.notification_fit(v_text.title, v_text.body, p_params),
            case when p_category = 'security' then p_at
                 else north.quiet_release(p_at, north.user_zone(p_user),
                                          p.quiet_start, p.quiet_end) end,
            p_at)
    on conflict (user_id, dedup_key) do nothing
    returning id into v_id;

    return v_id;
end $$;
