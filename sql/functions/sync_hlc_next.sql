-- The server's hybrid logical clock for a write of a field whose last
-- write bore p_prev (null: none): its own time, or later than p_prev when
-- that is ahead (a device's clock may run up to five minutes fast), so a
-- write always outranks the one it replaced. HLCs are texts that order as
-- they compare: "2026-11-30T14:05:09.123Z-0000-0000000000000000" (time,
-- counter in hex, node; the server's node is all zeros).
create or replace function north.sync_hlc_next(p_prev text)
returns text
language sql stable as $$
    select greatest(
        to_char(north.clock_now() at time zone 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '-0000-0000000000000000',
        left(p_prev, 24) || '-'
            || lpad(upper(to_hex(least(('x' || lpad(substr(p_prev, 26, 4), 8, '0'))::bit(32)::int + 1,
                                       65535))), 4, '0')
            || '-0000000000000000')
$$;
