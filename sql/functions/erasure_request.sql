-- DELETE /v1/me: every session ends (listed, for the edge cache), the
-- account can no longer log in, and the erasure job is queued. Asked twice,
-- the first request stands.
create or replace function north.erasure_request(p_user uuid, p_reauth text)
returns table (revoked_session uuid, requested_at timestamptz)
language plpgsql as $$
declare
    v_at timestamptz;
begin
    update north.users
    set erasure_requested_at = coalesce(erasure_requested_at, now()),
        password_hash = null
    where id = p_user
    returning erasure_requested_at into v_at;

    insert into north.erasures (user_id, requested_at, reauth)
    values (p_user, v_at, p_reauth)
    on conflict (user_id) do nothing;

    if not exists (select 1 from north.jobs
                   where kind = 'privacy.erase' and user_id = p_user) then
        insert into north.jobs (kind, user_id) values ('privacy.erase', p_user);
    end if;

    delete from north.devices where user_id = p_user;

    return query
    with revoked as (
        update north.sessions
        set revoked_at = now(), revoked_reason = 'account_erased'
        where user_id = p_user and revoked_at is null
        returning id
    )
    select id, v_at from revoked
    union all
    select null, v_at where not exists (select 1 from revoked);
end $$;
