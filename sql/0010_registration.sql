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


