-- Notifications a clock brings (issue: push notifications): a check-in
-- streak at risk in the evening, and the weekly summary on Sunday morning,
-- each at the local time of the user's zone. The job runner's sweep asks
-- north.notifications_scheduled(north.clock_now()).
--
-- north.clock: the skew of the job runner's clock, zero but in the suites,
-- which move it to run a Sunday morning or an evening in any zone without
-- waiting for one. Only the schema's owner can change it.
create table north.clock (
    one   boolean  primary key default true check (one),
    skew  interval not null default '0'
);

insert into north.clock default values;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        revoke insert, update, delete, truncate on north.clock from north_app;
    end if;
end $$;
