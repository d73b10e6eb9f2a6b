-- POST /v1/auth/register, decided in private: a new address gets its code
-- (the registration waits 15 minutes for it), an address with an account
-- gets a notice. Either way at most 5 mails an hour go to one address;
-- past that nothing is sent (and a new code replaces nothing), so the
-- endpoint cannot be used to flood a mailbox or to guess codes faster.
create or replace function north.registration_start(p_email text, p_hash text,
    p_consents text[], p_policy text, p_locale text, p_province text,
    p_code text)
returns void
language plpgsql as $$
declare
    v_owner north.users;
begin
    if (select count(*) from north.mail_outbox m
        where lower(m.to_email) = lower(p_email)
          and m.created_at > now() - interval '1 hour') >= 5
    then
        return;
    end if;

    select * into v_owner from north.users u
    where lower(u.email) = lower(p_email);

    if found then
        insert into north.mail_outbox (to_email, template, locale)
        values (v_owner.email, 'register_exists', v_owner.locale);
        return;
    end if;

    insert into north.registrations as g (email, password_hash, consents,
        policy_version, locale, province, code_hash, expires_at)
    values (p_email, p_hash, p_consents, p_policy,
            coalesce(p_locale, 'en-CA'), p_province,
            sha256(convert_to(p_code, 'UTF8')),
            now() + interval '15 minutes')
    on conflict ((lower(email))) do update
    set email = excluded.email, password_hash = excluded.password_hash,
        consents = excluded.consents,
        policy_version = excluded.policy_version, locale = excluded.locale,
        province = excluded.province, code_hash = excluded.code_hash,
        attempts = 0, created_at = now(), expires_at = excluded.expires_at;

    insert into north.mail_outbox (to_email, template, locale, params)
    values (p_email, 'register_code', coalesce(p_locale, 'en-CA'),
            jsonb_build_object('code', p_code));
end $$;
