-- A taken e-mail is an answer, not an error: PostgreSQL logs the DETAIL of
-- a unique violation, and that names the address (Key (lower(email))=...).
-- The conflict is handled here, before anything is logged: no row comes
-- back, and the caller answers 409.
create or replace function north.auth_register(p_email text, p_hash text,
    p_consents text[], p_policy text, p_locale text, p_province text,
    p_ip inet, p_device_id text, p_device_name text, p_platform text,
    p_refresh_hash bytea, p_refresh_ttl interval)
returns table (user_id uuid, session_id uuid, email text)
language plpgsql as $$
#variable_conflict use_column
declare
    v_user uuid;
begin
    insert into north.users (email, password_hash, locale, province)
    values (p_email, p_hash, coalesce(p_locale, 'en-CA'), p_province)
    on conflict ((lower(email))) do nothing
    returning id into v_user;

    if v_user is null then
        return;
    end if;

    insert into north.consents (user_id, purpose, granted, policy_version, ip)
    select v_user, c, true, p_policy, p_ip
    from unnest(p_consents) as c;

    return query
    select v_user,
           north.auth_session_open(v_user, 'password', p_ip, p_device_id,
                                   p_device_name, p_platform, p_refresh_hash,
                                   p_refresh_ttl),
           p_email;
end $$;
