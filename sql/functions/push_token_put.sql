-- PUT /v1/devices/{device_id}/push-token: the token of the caller's device
-- (the device of the caller's session), one a device; a token registered
-- before on another device, the caller's or another user's, moves here.
-- status: ok | not_this_device.
create or replace function north.push_token_put(p_user uuid, p_session uuid,
    p_device text, p_token text, p_platform text, p_app_version text)
returns text
language plpgsql as $$
begin
    if not exists (select 1 from north.sessions s
                   where s.id = p_session and s.user_id = p_user
                     and s.device_id = p_device)
    then
        return 'not_this_device';
    end if;

    delete from north.push_tokens
    where token = p_token and (user_id, device_id) <> (p_user, p_device);

    insert into north.push_tokens (user_id, device_id, token, platform,
                                   app_version)
    values (p_user, p_device, p_token, p_platform, p_app_version)
    on conflict (user_id, device_id) do update
    set token = excluded.token, platform = excluded.platform,
        app_version = excluded.app_version, last_seen_at = now();

    return 'ok';
end $$;
