-- Whether a freeze may cover p_day: none covered a day in the 30 before.
create or replace function north.streak_freeze_ready(p_freeze_on date,
    p_day date)
returns boolean
language sql immutable as $$
    select p_freeze_on is null or p_day - p_freeze_on >= 30
$$;
