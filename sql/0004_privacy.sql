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


