create or replace function north.manual_items_snapshot()
returns trigger
language plpgsql as $$
begin
    perform north.balance_snapshot_put(new.id, new.user_id, null, new.id,
        new.kind = 'liability', new.value_cents, new.currency);
    return null;
end
$$;

drop trigger if exists manual_items_snapshot on north.manual_items;
create trigger manual_items_snapshot
    after insert or update of value_cents, kind, currency
    on north.manual_items
    for each row execute function north.manual_items_snapshot();
