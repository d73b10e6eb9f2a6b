-- A new session and its first refresh token.
create or replace function north.auth_session_open(p_user uuid, p_method text,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns uuid
language plpgsql as $$
declare
    v_session uuid;
begin
    -- a device the account never signed in on, after its first sign-in
    if p_device_id is not null
       and exists (select 1 from north.sessions s where s.user_id = p_user)
       and not exists (select 1 from north.sessions s
                       where s.user_id = p_user and s.device_id = p_device_id)
    then
        perform north.event_put(p_user, 'new_device',
                                coalesce(p_device_name, p_device_id),
                                'new_device:' || p_device_id);
    end if;

    insert into north.sessions (user_id, auth_method, ip, device_id,
                                device_name, platform)
    values (p_user, p_method, p_ip, p_device_id, p_device_name, p_platform)
    returning id into v_session;

    insert into north.refresh_tokens (token_hash, session_id, expires_at)
    values (p_refresh_hash, v_session, now() + p_refresh_ttl);

    return v_session;
end $$;
