-- User management and PIPEDA: the profile, consents with their history,
-- the correction log, privacy requests, account erasure, the breach
-- register, idempotent POSTs and the background job queue.

set search_path = north, public;

-- the access log reads a user's audit rows newest first, page by page
create index audit_log_subject_id_idx on north.audit_log (subject, id);


-- --- profile -----------------------------------------------------------------

alter table north.users
    add column display_name        text
               check (char_length(display_name) between 1 and 100),
    add column time_zone           text,        -- IANA; null: the province's
    add column birth_year          smallint
               check (birth_year between 1900 and 2100),
    add column annual_income_cents bigint
               check (annual_income_cents between 0 and 100000000000),
    add column employment_status   text
               check (employment_status in ('employed', 'self_employed',
                                            'unemployed', 'student',
                                            'retired', 'other')),
    add column erasure_requested_at timestamptz;


-- The zone most of a province or territory lives in.
create function north.province_time_zone(p_province text)
returns text
language sql immutable as $$
    select case p_province
        when 'NL' then 'America/St_Johns'
        when 'NS' then 'America/Halifax'
        when 'PE' then 'America/Halifax'
        when 'NB' then 'America/Moncton'
        when 'QC' then 'America/Toronto'
        when 'ON' then 'America/Toronto'
        when 'NU' then 'America/Iqaluit'
        when 'MB' then 'America/Winnipeg'
        when 'SK' then 'America/Regina'
        when 'AB' then 'America/Edmonton'
        when 'NT' then 'America/Yellowknife'
        when 'BC' then 'America/Vancouver'
        when 'YT' then 'America/Whitehorse'
    end
$$;


-- The profile as the API shows it.
create function north.profile_json(u north.users)
returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'id', u.id,
        'email', u.email,
        'display_name', u.display_name,
        'province', u.province,
        'time_zone', coalesce(u.time_zone,
                              north.province_time_zone(u.province),
                              'America/Toronto'),
        'time_zone_source', case when u.time_zone is not null then 'user'
                                 when u.province is not null then 'province'
                                 else 'default' end,
        'locale', u.locale,
        'birth_year', u.birth_year,
        'annual_income_cents', u.annual_income_cents,
        'employment_status', u.employment_status,
        'created_at', to_char(u.created_at at time zone 'UTC',
                              'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(u.updated_at at time zone 'UTC',
                              'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- A strong validator of what the profile shows (updated_at moves on every
-- change, to the microsecond).
create function north.profile_etag(p jsonb)
returns text
language sql immutable as $$
    select '"' || md5(p::text) || '"'
$$;


-- The correction log (PIPEDA 4.9.5): every changed field, old and new.
create table north.profile_changes (
    id         bigint      generated always as identity primary key,
    user_id    uuid        not null references north.users (id)
                           on delete cascade,
    field      text        not null,
    old_value  jsonb,
    new_value  jsonb,
    ip         inet,
    changed_at timestamptz not null default now()
);

create index profile_changes_user_id_idx on north.profile_changes (user_id);


-- Applies the members of p_changes (already type-checked) to the profile
-- when p_if_match (an If-Match list, or null) still holds. status: ok |
-- not_found | precondition_failed | bad_time_zone | email_taken.
create function north.profile_update(p_user uuid, p_if_match text,
    p_changes jsonb, p_ip inet)
returns table (status text, profile jsonb, etag text)
language plpgsql as $$
declare
    u      north.users;
    before jsonb;
    after  jsonb;
    tz     text := p_changes->>'time_zone';
begin
    select * into u from north.users
    where id = p_user and erasure_requested_at is null for update;

    if not found then
        return query select 'not_found'::text, null::jsonb, null::text;
        return;
    end if;

    before := north.profile_json(u);

    if p_if_match is not null and btrim(p_if_match) <> '*'
       and not north.profile_etag(before)
               = any (select btrim(m)
                      from unnest(string_to_array(p_if_match, ',')) m)
    then
        return query select 'precondition_failed'::text, before,
                            north.profile_etag(before);
        return;
    end if;

    if tz is not null
       and not exists (select 1 from pg_timezone_names where name = tz)
    then
        return query select 'bad_time_zone'::text, null::jsonb, null::text;
        return;
    end if;

    begin
        update north.users set
            email = case when p_changes ? 'email'
                         then p_changes->>'email' else email end,
            display_name = case when p_changes ? 'display_name'
                                then p_changes->>'display_name'
                                else display_name end,
            province = case when p_changes ? 'province'
                            then p_changes->>'province' else province end,
            time_zone = case when p_changes ? 'time_zone'
                             then tz else time_zone end,
            locale = case when p_changes ? 'locale'
                          then p_changes->>'locale' else locale end,
            birth_year = case when p_changes ? 'birth_year'
                              then (p_changes->>'birth_year')::smallint
                              else birth_year end,
            annual_income_cents = case when p_changes ? 'annual_income_cents'
                                   then (p_changes->>'annual_income_cents')::bigint
                                   else annual_income_cents end,
            employment_status = case when p_changes ? 'employment_status'
                                     then p_changes->>'employment_status'
                                     else employment_status end,
            updated_at = clock_timestamp()
        where id = p_user
        returning * into u;
    exception when unique_violation then
        return query select 'email_taken'::text, null::jsonb, null::text;
        return;
    end;

    after := north.profile_json(u);

    insert into north.profile_changes (user_id, field, old_value, new_value,
                                       ip)
    select p_user, k, before->k, after->k, p_ip
    from jsonb_object_keys(after) k
    where k not in ('updated_at', 'time_zone_source')
      and before->k is distinct from after->k;

    return query select 'ok'::text, after, north.profile_etag(after);
end $$;


-- --- consents --------------------------------------------------------------------

create table north.consent_purposes (
    purpose  text     primary key,
    position smallint not null unique,
    required boolean  not null,    -- withdrawn only by erasing the account
    effect   text     not null     -- what a withdrawal stops
);

insert into north.consent_purposes (purpose, position, required, effect) values
    ('terms', 1, true, 'the account: delete it instead'),
    ('privacy_policy', 2, true, 'the account: delete it instead'),
    ('bank_data', 3, false,
     'bank linking and transaction sync; linked institutions are unlinked'),
    ('analytics', 4, false, 'spending analytics and insights'),
    ('notifications_marketing', 5, false, 'marketing notifications'),
    ('ai_assistant', 6, false, 'the assistant');

alter table north.consents
    add constraint consents_purpose_fkey foreign key (purpose)
        references north.consent_purposes (purpose);


-- Whether p_user's latest word on p_purpose is a grant. Every service that
-- acts under a consent asks this when it acts, so a withdrawal holds at
-- once. Services that must undo something (unlink banks) add a trigger on
-- north.consents for their purpose.
create function north.consent_granted(p_user uuid, p_purpose text)
returns boolean
language sql stable as $$
    select coalesce((select c.granted from north.consents c
                     where c.user_id = p_user and c.purpose = p_purpose
                     order by c.id desc limit 1), false)
$$;


-- Every purpose with its current state and its history, newest first.
create function north.consents_json(p_user uuid, p_policy text)
returns json
language sql stable as $$
    select json_build_object(
        'policy_version', p_policy,
        'consents', json_agg(json_build_object(
            'purpose', p.purpose,
            'required', p.required,
            'granted', coalesce(cur.granted, false),
            'policy_version', cur.policy_version,
            'current_policy', cur.policy_version is not distinct from p_policy,
            'updated_at', to_char(cur.created_at at time zone 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'withdrawal_stops', p.effect,
            'history', coalesce((
                select json_agg(json_build_object(
                    'granted', h.granted,
                    'policy_version', h.policy_version,
                    'at', to_char(h.created_at at time zone 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'ip', host(h.ip)) order by h.id desc)
                from north.consents h
                where h.user_id = p_user and h.purpose = p.purpose), '[]'))
            order by p.position))
    from north.consent_purposes p
    left join lateral (
        select c.granted, c.policy_version, c.created_at
        from north.consents c
        where c.user_id = p_user and c.purpose = p.purpose
        order by c.id desc limit 1) cur on true
$$;


-- A grant or withdrawal, recorded when it changes the state or the policy
-- version. status: ok | required (a required purpose cannot be withdrawn).
create function north.consent_set(p_user uuid, p_purpose text,
    p_granted boolean, p_policy text, p_ip inet)
returns table (status text, consents json)
language plpgsql as $$
declare
    cur north.consents;
begin
    -- one change at a time per user: the history stays in order
    perform 1 from north.users where id = p_user for update;

    if not p_granted and (select required from north.consent_purposes
                          where purpose = p_purpose) then
        return query select 'required'::text, null::json;
        return;
    end if;

    select * into cur from north.consents
    where user_id = p_user and purpose = p_purpose
    order by id desc limit 1;

    if cur.id is null and not p_granted
       or cur.granted is not distinct from p_granted
          and cur.policy_version is not distinct from p_policy
    then
        return query select 'ok'::text, north.consents_json(p_user, p_policy);
        return;
    end if;

    insert into north.consents (user_id, purpose, granted, policy_version, ip)
    values (p_user, p_purpose, p_granted, p_policy, p_ip);

    return query select 'ok'::text, north.consents_json(p_user, p_policy);
end $$;


-- --- privacy requests (PIPEDA s.8: 30 days, one justified extension) -----------

create table north.privacy_requests (
    id               uuid        primary key default gen_random_uuid(),
    user_id          uuid        not null references north.users (id)
                                 on delete cascade,
    kind             text        not null
                     check (kind in ('access', 'correction', 'deletion')),
    details          text        check (char_length(details) <= 4000),
    status           text        not null default 'received'
                     check (status in ('received', 'in_progress', 'extended',
                                       'completed', 'refused', 'withdrawn')),
    received_at      timestamptz not null default now(),
    due_at           timestamptz not null default now() + interval '30 days',
    extended_until   timestamptz,
    extension_reason text,
    responded_at     timestamptz,
    response         text,
    -- an extension: justified, at most 30 days more
    check ((extended_until is null) = (extension_reason is null)),
    check (extended_until is null
           or extended_until > due_at
              and extended_until <= due_at + interval '30 days'),
    check (extension_reason is null
           or char_length(btrim(extension_reason)) >= 20)
);

create index privacy_requests_user_id_idx
    on north.privacy_requests (user_id, received_at desc, id desc);


-- The privacy officer's extension: only before the first deadline passes
-- (its notice must reach the person within the original 30 days), once.
create function north.privacy_request_extend(p_id uuid, p_until timestamptz,
    p_reason text)
returns north.privacy_requests
language plpgsql as $$
declare
    q north.privacy_requests;
begin
    select * into q from north.privacy_requests where id = p_id for update;

    if not found then
        raise exception 'no privacy request %', p_id
            using errcode = 'no_data_found';
    end if;

    if q.extended_until is not null then
        raise exception 'privacy request % is already extended', p_id
            using errcode = 'check_violation';
    end if;

    if now() > q.due_at then
        raise exception 'privacy request % is past its due date: an '
                        'extension must be given within 30 days', p_id
            using errcode = 'check_violation';
    end if;

    if q.status not in ('received', 'in_progress') then
        raise exception 'privacy request % is %', p_id, q.status
            using errcode = 'check_violation';
    end if;

    update north.privacy_requests
    set extended_until = p_until, extension_reason = p_reason,
        status = 'extended'
    where id = p_id
    returning * into q;

    return q;
end $$;


create function north.privacy_request_json(q north.privacy_requests)
returns json
language sql stable as $$
    select json_build_object(
        'id', q.id,
        'kind', q.kind,
        'details', q.details,
        'status', q.status,
        'received_at', to_char(q.received_at at time zone 'UTC',
                               'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'due_at', to_char(q.due_at at time zone 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'extended_until', to_char(q.extended_until at time zone 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'extension_reason', q.extension_reason,
        'responded_at', to_char(q.responded_at at time zone 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'response', q.response,
        -- no answer in time is a deemed refusal (s.8(5))
        'overdue', q.status in ('received', 'in_progress', 'extended')
                   and now() > coalesce(q.extended_until, q.due_at))
$$;


-- --- breach register (SOR/2018-64: every breach, 24 months at least) -----------

create table north.breach_register (
    id                      bigint      generated always as identity
                                        primary key,
    occurred_at             timestamptz,
    discovered_at           timestamptz not null,
    recorded_at             timestamptz not null default now(),
    circumstances           text        not null,
    personal_information    text        not null,
    individuals_affected    integer     check (individuals_affected >= 0),
    real_risk_of_significant_harm boolean not null,
    risk_assessment         text        not null,
    reported_to_opc_at      timestamptz,
    individuals_notified_at timestamptz,
    measures_taken          text
);

-- never purged: erasure and retention jobs do not touch it
create trigger breach_register_keep
    before delete on north.breach_register
    for each row execute function north.audit_refuse_change();

create trigger breach_register_no_truncate
    before truncate on north.breach_register
    for each statement execute function north.audit_refuse_change();

revoke delete, truncate on north.breach_register from current_user;


-- --- background jobs (ARCHITECTURE §4): leased, claimed with SKIP LOCKED -------

create table north.jobs (
    id           bigint      generated always as identity primary key,
    kind         text        not null,
    user_id      uuid,       -- no key: an erasure outlives its user row
    ref          text,       -- what else the job is about (an item...)
    run_at       timestamptz not null default now(),
    attempts     integer     not null default 0,
    leased_until timestamptz,
    done_at      timestamptz,
    last_error   text,
    created_at   timestamptz not null default now()
);

create index jobs_ready_idx on north.jobs (run_at) where done_at is null;
create index jobs_user_id_idx on north.jobs (user_id);
create index jobs_kind_ref_idx on north.jobs (kind, ref) where done_at is null;


-- The next due job, leased to the caller; a worker that dies mid-job loses
-- its lease and another takes the job over.
create function north.job_claim(p_lease interval)
returns table (id bigint, kind text, user_id uuid, attempts integer,
               ref text)
language sql as $$
    update north.jobs j
    set leased_until = now() + p_lease, attempts = j.attempts + 1
    where j.id = (select q.id from north.jobs q
                  where q.done_at is null and q.run_at <= now()
                    and (q.leased_until is null or q.leased_until < now())
                  order by q.run_at, q.id
                  for update skip locked
                  limit 1)
    returning j.id, j.kind, j.user_id, j.attempts, j.ref
$$;

-- A failed attempt: tried again later, doubling up to an hour.
create function north.job_retry(p_id bigint, p_error text)
returns void
language sql as $$
    update north.jobs
    set leased_until = null, last_error = left(p_error, 1000),
        run_at = now() + least(interval '1 hour',
                               interval '5 seconds' * power(2, attempts - 1))
    where id = p_id
$$;


-- --- account erasure ----------------------------------------------------------

-- What remains of an erased account: when it was asked for and done. The
-- user id is a random UUID that nothing maps to a person any more.
create table north.erasures (
    user_id      uuid        primary key,
    requested_at timestamptz not null default now(),
    reauth       text        not null check (reauth in ('password',
                                                        'biometric')),
    completed_at timestamptz
);


-- DELETE /v1/me: every session ends (listed, for the edge cache), the
-- account can no longer log in, and the erasure job is queued. Asked twice,
-- the first request stands.
create function north.erasure_request(p_user uuid, p_reauth text)
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


-- The erasure job's last step, after every service erased its own rows
-- (the profile's part deletes the user row): the erasure is recorded done
-- and the job forgets whose it was. Run again, it changes nothing.
create function north.erasure_finish(p_job bigint, p_user uuid)
returns void
language plpgsql as $$
begin
    update north.erasures set completed_at = coalesce(completed_at, now())
    where user_id = p_user;

    update north.jobs
    set done_at = now(), leased_until = null, last_error = null,
        user_id = null
    where id = p_job;
end $$;


-- --- idempotent POSTs -----------------------------------------------------------

create table north.idempotency_keys (
    user_id      uuid        not null references north.users (id)
                             on delete cascade,
    key          text        not null,
    request_hash text        not null,     -- SHA-256 of method, URI, body
    created_at   timestamptz not null default now(),
    status       smallint,                 -- null while in progress
    content_type text,
    body         text,
    primary key (user_id, key)
);

create index idempotency_keys_created_at_idx
    on north.idempotency_keys (created_at);


-- outcome: new (the caller runs the request) | in_progress (whatever the
-- request) | replay | mismatch (another request under this key). A key
-- lives 24 hours; a claim left by a request that never finished is taken
-- over after 5 minutes.
create function north.idempotency_claim(p_user uuid, p_key text,
    p_hash text)
returns table (outcome text, status smallint, content_type text, body text)
language plpgsql as $$
declare
    k north.idempotency_keys;
begin
    delete from north.idempotency_keys i
    where i.user_id = p_user and i.key = p_key
      and (i.created_at < now() - interval '24 hours'
           or i.status is null and i.created_at < now() - interval '5 minutes');

    insert into north.idempotency_keys (user_id, key, request_hash)
    values (p_user, p_key, p_hash)
    on conflict do nothing;

    if found then
        return query select 'new'::text, null::smallint, null::text, null::text;
        return;
    end if;

    select * into k from north.idempotency_keys i
    where i.user_id = p_user and i.key = p_key;

    if k.status is null then
        return query select 'in_progress'::text, null::smallint, null::text,
                            null::text;
    elsif k.request_hash <> p_hash then
        return query select 'mismatch'::text, null::smallint, null::text,
                            null::text;
    else
        return query select 'replay'::text, k.status, k.content_type, k.body;
    end if;
end $$;
