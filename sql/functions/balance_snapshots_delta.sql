-- A snapshot's delta from the one before it, and the delta of the one after
-- it from this one: written in any order, the deltas stay right.
create or replace function north.balance_snapshots_delta()
returns trigger
language plpgsql as $$
begin
    new.delta_cents := new.cents - coalesce(
        (select p.cents from north.balance_snapshots p
         where p.source_id = new.source_id and p.day < new.day
         order by p.day desc limit 1), 0);
    return new;
end
$$;

drop trigger if exists balance_snapshots_delta on north.balance_snapshots;
create trigger balance_snapshots_delta
    before insert or update of cents, day on north.balance_snapshots
    for each row execute function north.balance_snapshots_delta();
