-- The local day a check-in at p_at counts for, in the user's zone p_zone.
-- Right after a move (p_last_zone, the zone of the last counted day,
-- differs) it is the earlier of the dates in the two zones: moving east
-- never skips a day the old zone had not ended, and moving west never
-- gives a day twice (a date at or before the last counted one is that
-- day, already counted). Each zone's date is tzdata's: a 23- or 25-hour
-- day, or Newfoundland's half hour, is one day.
create or replace function north.checkin_day(p_at timestamptz, p_zone text,
    p_last_zone text)
returns date
language sql immutable as $$
    select least((p_at at time zone p_zone)::date,
                 (p_at at time zone coalesce(p_last_zone, p_zone))::date)
$$;
