-- Refresh-token rotation. A token presented twice means it was stolen:
-- its whole session is revoked. status: ok | invalid | expired | revoked |
-- reused.
create or replace function north.auth_refresh(p_hash bytea, p_new_hash bytea,
    p_refresh_ttl interval)
returns table (status text, user_id uuid, session_id uuid, email text)
language plpgsql as $$
declare
    t north.refresh_tokens;
    s north.sessions;
    v_email text;
begin
    select * into t from north.refresh_tokens
    where token_hash = p_hash for update;

    if not found then
        return query select 'invalid'::text, null::uuid, null::uuid, null::text;
        return;
    end if;

    select * into s from north.sessions where id = t.session_id for update;
    select u.email into v_email from north.users u where u.id = s.user_id;

    if s.revoked_at is not null then
        return query select 'revoked'::text, s.user_id, s.id, v_email;
        return;
    end if;

    if t.used_at is not null then
        update north.sessions
        set revoked_at = now(), revoked_reason = 'refresh_token_reuse'
        where id = s.id;

        return query select 'reused'::text, s.user_id, s.id, v_email;
        return;
    end if;

    if t.expires_at <= now() then
        return query select 'expired'::text, s.user_id, s.id, v_email;
        return;
    end if;

    update north.refresh_tokens set used_at = now() where token_hash = p_hash;

    insert into north.refresh_tokens (token_hash, session_id, expires_at)
    values (p_new_hash, s.id, now() + p_refresh_ttl);

    update north.sessions set last_seen_at = now() where id = s.id;

    return query select 'ok'::text, s.user_id, s.id, v_email;
end $$;
