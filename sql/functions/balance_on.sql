-- A source's signed balance on a day: its last snapshot then (or its first).
create or replace function north.balance_on(p_source uuid, p_day date)
returns bigint
language sql stable as $$
    select coalesce(
        (select cents from north.balance_snapshots
         where source_id = p_source and day <= p_day
         order by day desc limit 1),
        (select cents from north.balance_snapshots
         where source_id = p_source order by day limit 1))
$$;
