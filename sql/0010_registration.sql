-- Registration that does not tell whether an address has an account
-- (issue: security, account enumeration).
--
-- POST /v1/auth/register answers 202 whatever the address: the account is
-- made only when the code e-mailed to the address comes back through
-- POST /v1/auth/register/verify. An address that has an account gets an
-- e-mail saying so (sign in, or reset the password) instead of a code, and
-- nothing else changes. The answer is the same, and so is the work done
-- before it (the password is hashed either way).
--
-- E-mail goes through north.mail_outbox: a row is queued in the
-- transaction that decides to write, and the mail.send job delivers it
-- (handlers/mail). Any service may queue mail the same way.


-- --- mail -------------------------------------------------------------------------

create table north.mail_outbox (
    id           bigint      generated always as identity primary key,
    to_email     text        not null,
    template     text        not null,
    locale       text        not null check (locale in ('en-CA', 'fr-CA')),
    params       jsonb       not null default '{}',
    created_at   timestamptz not null default now(),
    attempts     integer     not null default 0,
    leased_until timestamptz,
    sent_at      timestamptz,
    failed_at    timestamptz,             -- refused for good by the relay
    last_error   text
);

create index mail_outbox_pending_idx on north.mail_outbox (id)
    where sent_at is null and failed_at is null;
create index mail_outbox_to_idx on north.mail_outbox (lower(to_email),
                                                      created_at);

-- A mail queued wakes the sender, unless one is already waiting.
create function north.mail_queued()
returns trigger
language plpgsql as $$
begin
    insert into north.jobs (kind)
    select 'mail.send'
    where not exists (select 1 from north.jobs j
                      where j.kind = 'mail.send' and j.done_at is null
                        and j.leased_until is null);
    return null;
end $$;

create trigger mail_outbox_queued
    after insert on north.mail_outbox
    for each statement execute function north.mail_queued();

-- Mail due again (after a relay's failure, or a worker's death) with no
-- sender waiting: the job runner's sweep wakes one.
create function north.mail_wake()
returns void
language sql as $$
    insert into north.jobs (kind)
    select 'mail.send'
    where exists (select 1 from north.mail_outbox m
                  where m.sent_at is null and m.failed_at is null
                    and (m.leased_until is null or m.leased_until < now()))
      and not exists (select 1 from north.jobs j
                      where j.kind = 'mail.send' and j.done_at is null)
$$;

-- The next mail to send, leased to the caller for 2 minutes.
create function north.mail_next()
returns table (id bigint, to_email text, template text, locale text,
               params jsonb)
language sql as $$
    update north.mail_outbox m
    set leased_until = now() + interval '2 minutes', attempts = m.attempts + 1
    where m.id = (select q.id from north.mail_outbox q
                  where q.sent_at is null and q.failed_at is null
                    and (q.leased_until is null or q.leased_until < now())
                  order by q.id for update skip locked limit 1)
    returning m.id, m.to_email, m.template, m.locale, m.params
$$;

-- A mail's outcome: sent (its parameters, a code, are forgotten); refused
-- for good; or to be tried again later (10 s doubling up to an hour; given
-- up after a day). The job runner's sweep removes mail a day after its
-- outcome, and registrations whose code expired.
create function north.mail_sent(p_id bigint, p_outcome text, p_error text)
returns void
language sql as $$
    update north.mail_outbox
    set sent_at = case when p_outcome = 'sent' then now() end,
        params = case when p_outcome = 'sent' then '{}' else params end,
        failed_at = case when p_outcome = 'refused'
                           or created_at < now() - interval '1 day'
                         then now() end,
        last_error = coalesce(left(p_error, 1000), last_error),
        leased_until = case when p_outcome = 'retry'
                            then now() + least(interval '1 hour',
                                 interval '10 seconds' * power(2, attempts - 1))
                       end
    where id = p_id
$$;


-- --- registrations waiting for their code -------------------------------------------

create table north.registrations (
    email          text        not null,
    password_hash  text        not null,
    consents       text[]      not null,
    policy_version text        not null,
    locale         text        not null,
    province       text,
    code_hash      bytea       not null,  -- SHA-256 of the code
    attempts       integer     not null default 0,
    created_at     timestamptz not null default now(),
    expires_at     timestamptz not null
);

create unique index registrations_email_idx
    on north.registrations (lower(email));


-- POST /v1/auth/register, decided in private: a new address gets its code
-- (the registration waits 15 minutes for it), an address with an account
-- gets a notice. Either way at most 5 mails an hour go to one address;
-- past that nothing is sent (and a new code replaces nothing), so the
-- endpoint cannot be used to flood a mailbox or to guess codes faster.
create function north.registration_start(p_email text, p_hash text,
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


-- POST /v1/auth/register/verify: the code makes the account and opens its
-- first session. status: ok | invalid (no registration waits, it expired,
-- or the code is wrong: one answer). Five wrong codes end the
-- registration.
create function north.registration_verify(p_email text, p_code text,
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
