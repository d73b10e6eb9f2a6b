-- After it: a session (ok), or the failure counted (failed, or wait with
-- the seconds the next attempt waits). p_user is null for an unknown
-- address: the same work is done.
create or replace function north.auth_login_attempt(p_email text, p_user uuid,
    p_ok boolean, p_ip inet, p_device_id text, p_device_name text,
    p_platform text, p_refresh_hash bytea, p_refresh_ttl interval)
returns table (status text, session_id uuid, retry_after integer)
language plpgsql
set search_path = north, public
as $$
declare
    t north.login_throttle;
begin
    if p_ok and p_user is not null then
        delete from north.login_throttle
        where email_hash = digest(lower(p_email), 'sha256');

        return query
        select 'ok'::text,
               north.auth_session_open(p_user, 'password', p_ip, p_device_id,
                                       p_device_name, p_platform,
                                       p_refresh_hash, p_refresh_ttl),
               null::integer;
        return;
    end if;

    insert into north.login_throttle as l (email_hash, failures, last_failed)
    values (digest(lower(p_email), 'sha256'), 1, now())
    on conflict (email_hash) do update
    set failures = case when l.last_failed < now() - interval '15 minutes'
                        then 1 else l.failures + 1 end,
        last_failed = now(),
        wait_until = null
    returning * into t;

    if t.failures < 5 then
        return query select 'failed'::text, null::uuid, null::integer;
        return;
    end if;

    update north.login_throttle l
    set wait_until = now() + least(interval '15 minutes',
                                   interval '30 seconds'
                                   * power(2, least(t.failures - 5, 10)))
    where l.email_hash = t.email_hash
    returning * into t;

    return query
    select 'wait'::text, null::uuid,
           ceil(extract(epoch from t.wait_until - now()))::integer;
end $$;
