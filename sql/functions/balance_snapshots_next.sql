create or replace function north.balance_snapshots_next()
returns trigger
language plpgsql as $$
begin
    update north.balance_snapshots n set delta_cents = n.cents - new.cents
    where n.source_id = new.source_id
      and n.day = (select min(x.day) from north.balance_snapshots x
                   where x.source_id = new.source_id and x.day > new.day)
      and n.delta_cents <> n.cents - new.cents;
    return null;
end
$$;

drop trigger if exists balance_snapshots_next on north.balance_snapshots;
create trigger balance_snapshots_next
    after insert or update of cents, day on north.balance_snapshots
    for each row execute function north.balance_snapshots_next();
