-- Recommendations (issue: financial analytics) are computed on each read
-- from the insights, the tax facts and the goals (handlers/insights/
-- recommendations.c); only what the user set aside is kept: dismissed
-- (until null) or snoozed until a day.
create table north.recommendation_dismissals (
    user_id            uuid        not null references north.users (id)
                                   on delete cascade,
    recommendation_id  text        not null
                       check (recommendation_id ~ '^[a-z-]{1,40}-[0-9a-f]{16}$'),
    until              date,
    dismissed_at       timestamptz not null default now(),
    primary key (user_id, recommendation_id)
);
