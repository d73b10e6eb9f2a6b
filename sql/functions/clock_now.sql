-- The job runner's now: now(), moved by north.clock's skew (zero but in the
-- suites).
create or replace function north.clock_now()
returns timestamptz
language sql stable as $$
    select now() + coalesce((select skew from north.clock), interval '0')
$$;
