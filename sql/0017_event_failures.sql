-- An event a consumer fails on, alone, is set aside here and passed over:
-- one bad event must not hold every later one back, nor the other
-- consumers (north.events_consume).
create table north.event_failures (
    consumer  text        not null references north.event_consumers (name),
    event_id  bigint      not null references north.events (id)
                          on delete cascade,
    error     text        not null,
    at        timestamptz not null default now(),
    primary key (consumer, event_id)
);
