-- POST /v1/auth/register/verify: the code makes the account and opens its
-- first session. status: ok | invalid (no registration waits, it expired,
-- or the code is wrong: one answer). Five wrong codes end the
-- registration.
create or replace function north.registration_verify(p_email text, p_code text,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns table (status text, user_id uuid, session_id uuid, email text)
language plpgsql as $$
declare
    g north.registrations;
begin
    select * into g from north.registrations r
    where lower(r.email) = lower(p_email)
    for update;

    if not found or g.expires_at <= now() then
        return query select 'invalid'::text, null::uuid, null::uuid,
                            null::text;
        return;
    end if;

    if g.code_hash <> sha256(convert_to(p_code, 'UTF8')) then
        if g.attempts + 1 >= 5 then
            delete from north.registrations r
            where lower(r.email) = lower(p_email);
        else
            update north.registrations r set attempts = r.attempts + 1
            where lower(r.email) = lower(p_email);
        end if;

        return query select 'invalid'::text, null::uuid, null::uuid,
                            null::text;
        return;
    end if;

    delete from north.registrations r where lower(r.email) = lower(p_email);

    return query
    select 'ok'::text, a.user_id, a.session_id, a.email
    from north.auth_register(g.email, g.password_hash, g.consents,
                             g.policy_version, g.locale, g.province, p_ip,
                             p_device_id, p_device_name, p_platform,
                             p_refresh_hash, p_refresh_ttl) a;

    -- the address got an account meanwhile: the code is spent all the same
    if not found then
        return query select 'invalid'::text, null::uuid, null::uuid,
                            null::text;
    end if;
end $$;
