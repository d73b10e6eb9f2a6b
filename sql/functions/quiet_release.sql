-- When a notification made at p_at may go, for a user in zone p_zone whose
-- quiet hours run from p_start to p_end (local; over midnight when p_start
-- is later; none when equal): p_at itself outside them, else the instant
-- they end in that zone, tzdata deciding (a 23- or 25-hour night,
-- Newfoundland's half hour, Saskatchewan and Yukon without DST; an end
-- in the hour DST skips is read as standard time: 02:30 is 03:30 EDT).
create or replace function north.quiet_release(p_at timestamptz,
    p_zone text, p_start time, p_end time)
returns timestamptz
language plpgsql immutable as $$
declare
    v_local timestamp := p_at at time zone p_zone;
    v_time  time := v_local::time;
    v_day   date := v_local::date;
begin
    if p_start = p_end then
        return p_at;
    end if;

    if p_start < p_end then
        if v_time >= p_start and v_time < p_end then
            return (v_day + p_end) at time zone p_zone;
        end if;
        return p_at;
    end if;

    if v_time >= p_start then
        return (v_day + 1 + p_end) at time zone p_zone;
    elsif v_time < p_end then
        return (v_day + p_end) at time zone p_zone;
    end if;

    return p_at;
end $$;
