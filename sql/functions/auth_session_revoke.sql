-- Revokes one live session of a user; false when there was none.
create or replace function north.auth_session_revoke(p_user uuid, p_session uuid,
    p_reason text)
returns boolean
language sql as $$
    with revoked as (
        update north.sessions
        set revoked_at = now(), revoked_reason = p_reason
        where id = p_session and user_id = p_user and revoked_at is null
        returning id
    )
    select exists (select 1 from revoked)
$$;
