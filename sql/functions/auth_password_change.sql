-- A new password; every other session of the user is revoked and listed.
create or replace function north.auth_password_change(p_user uuid, p_session uuid,
    p_hash text)
returns table (revoked_session uuid)
language plpgsql as $$
begin
    update north.users
    set password_hash = p_hash, password_changed_at = now(),
        updated_at = now()
    where id = p_user;

    perform north.event_put(p_user, 'password_changed', null,
        'password_changed:' || extract(epoch from clock_timestamp()));

    return query
    update north.sessions
    set revoked_at = now(), revoked_reason = 'password_changed'
    where user_id = p_user and id <> p_session and revoked_at is null
    returning id;
end $$;
