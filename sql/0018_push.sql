-- Push notifications, part two: delivery to each of a user's devices
-- through FCM. A notification due (its quiet hours over) fans out to one
-- delivery per device that has a push token; the push.send job leases
-- deliveries in batches, sends them to FCM and records each outcome here.

create table north.push_deliveries (
    id               bigint      generated always as identity primary key,
    notification_id  uuid        not null references north.notifications (id)
                                 on delete cascade,
    user_id          uuid        not null references north.users (id)
                                 on delete cascade,
    device_id        text        not null,
    -- queued: to send; sent: FCM took it; dropped: the token is gone or
    -- FCM refused it for good (the token is removed); skipped: the consent
    -- was withdrawn before it went; failed: a payload FCM refuses, or
    -- given up after the attempts
    state            text        not null default 'queued'
                     check (state in ('queued', 'sent', 'dropped',
                                      'skipped', 'failed')),
    attempts         integer     not null default 0,
    not_before       timestamptz not null default now(),
    leased_until     timestamptz,
    sent_at          timestamptz,
    finished_at      timestamptz,
    last_error       text,
    -- at most once a device: a second fan-out of a notification adds none
    unique (notification_id, device_id)
);

create index push_deliveries_due_idx on north.push_deliveries (not_before)
    where state = 'queued';
create index push_deliveries_user_idx on north.push_deliveries (user_id);
create index push_deliveries_finished_idx on north.push_deliveries (finished_at);

-- the sender is a job; a notification queued wakes it (or the sweep does,
-- when quiet hours end)
create index notifications_queued_idx on north.notifications (not_before)
    where state = 'queued';
