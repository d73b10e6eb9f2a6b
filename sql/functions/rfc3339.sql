-- The one form of an instant on the wire: RFC 3339 in UTC, to the
-- millisecond (2026-11-29T23:53:59.761Z). NULL stays NULL.
create or replace function north.rfc3339(p_at timestamptz)
returns text
language sql stable parallel safe as $$
    select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
