-- Security fixes of the edge (issue: security and audit integrity).


-- A webhook names its key by kid, and a kid North has not seen is fetched
-- from Plaid: unsigned webhooks with made-up kids would each cost a call
-- to Plaid. A kid Plaid was asked about is remembered for 10 minutes, and
-- all fetches together, across nodes, are at most one per 10 seconds.
create table north.plaid_webhook_key_misses (
    kid      text        primary key,
    asked_at timestamptz not null default now()
);

create table north.plaid_webhook_key_fetch (
    one      boolean     primary key default true check (one),
    asked_at timestamptz not null
);

insert into north.plaid_webhook_key_fetch values (true, '-infinity');


-- Logins, throttled by e-mail address whether or not an account has it, so
-- that an unknown address and a known one answer alike (the lockout too).
-- A failure counts while the one before is less than 15 minutes old; from
-- the 5th on, the next attempt waits 30 seconds, doubling, at most 15
-- minutes: a delay, never a lock of days. A device that already had a
-- session of the account is not held back (north.auth_login_gate). The
-- address is kept as its SHA-256, never in clear.
create table north.login_throttle (
    email_hash  bytea       primary key,
    failures    integer     not null,
    last_failed timestamptz not null,
    wait_until  timestamptz
);


drop function if exists north.auth_login_result(uuid, boolean, integer, interval,
    interval, inet, text, text, text, bytea, interval);

alter table north.users
    drop column failed_logins,
    drop column first_failed_at,
    drop column locked_until,
    drop column lockouts;
