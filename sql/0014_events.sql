-- Domain events (docs/architecture.md, "Domain events"): the service that
-- causes an event writes it here in the transaction that made it happen,
-- through north.event_put(); consumers (gamification first) read them
-- through the job runner, each from its own durable position.

create table north.events (
    id       bigint      generated always as identity primary key,
    -- the writing transaction: a consumer reads only below the oldest
    -- transaction still running, so one that commits late is never skipped
    xid      xid8        not null default pg_current_xact_id(),
    user_id  uuid        not null references north.users (id)
                         on delete cascade,
    kind     text        not null check (kind ~ '^[a-z_]{1,40}$'),
    subject  text,                      -- the goal, item, rule... it is of
    key      text        not null,      -- one per real-world event
    payload  jsonb       not null default '{}',
    at       timestamptz not null default now(),
    unique (user_id, key)
);

create index events_xid_idx on north.events (xid, id);

-- Where each consumer stands: every event at or before (xid, id) handled.
create table north.event_consumers (
    name       text        primary key,
    fn         text        not null,    -- north.NAME(p_after_xid, p_after_id,
                                        --   p_limit): (xid, id, handled)
    after_xid  xid8        not null default '0',
    after_id   bigint      not null default 0,
    handled    bigint      not null default 0,
    updated_at timestamptz not null default now()
);

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        -- a position moves only through north.events_consume()
        revoke insert, delete, truncate on north.event_consumers
            from north_app;
    end if;
end $$;
