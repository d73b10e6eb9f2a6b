-- PIPEDA audit log: who touched whose personal information, when, why and
-- with what outcome. Append-only and hash-chained: every writer (an nginx
-- worker) numbers its records and puts in each the SHA-256 of the one
-- before; the row keeps the exact text that was hashed. north.audit_verify()
-- finds an edited, removed or forged row.

set search_path = north, public;

create table north.audit_log (
    id         bigint      generated always as identity primary key,
    record_id  text        not null unique,   -- replays are idempotent
    chain      text        not null,          -- the writer: node:pid:start
    seq        bigint      not null,          -- 1, 2, 3... in its chain
    at         timestamptz not null,
    request_id text        not null,
    actor      text        not null,          -- user:UUID, system:JOB or anonymous
    subject    uuid,                          -- whose data
    method     text        not null,
    route      text        not null,
    category   text        not null,
    purpose    text        not null,
    status     smallint    not null,
    client     inet,
    node       text        not null,
    region     text        not null,
    prev_hash  bytea,                         -- the chain's row before
    hash       bytea       not null,          -- SHA-256 of record
    record     text        not null,          -- the JSON the writer hashed
    unique (chain, seq)
);

create index audit_log_subject_idx on north.audit_log (subject, at);


-- the application's role may add and read, never change
revoke update, delete, truncate on north.audit_log from current_user;


