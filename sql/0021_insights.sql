-- Spending insights (issue: financial analytics): they are computed from
-- the user's transactions on each read (north.insights_facts and
-- handlers/insights); only what the user dismissed is kept, with the size
-- of the finding then, so that a finding that grows comes back.
create table north.insight_dismissals (
    user_id          uuid        not null references north.users (id)
                                 on delete cascade,
    insight_id       text        not null
                     check (insight_id ~ '^[a-z-]{1,40}-[0-9a-f]{16}$'),
    magnitude_cents  bigint      not null,
    dismissed_at     timestamptz not null default now(),
    primary key (user_id, insight_id)
);
