create or replace function north.manual_items_snapshot()
returns trigger
language plpgsql as $$
begin
    insert into north.balance_snapshots (source_id, day, user_id,
        manual_item_id, liability, cents, currency)
    values (new.id, north.user_today(new.user_id), new.user_id, new.id,
            new.kind = 'liability',
            case when new.kind = 'liability' then -new.value_cents
                 else new.value_cents end,
            new.currency)
    on conflict (source_id, day) do update
    set liability = excluded.liability, cents = excluded.cents,
        currency = excluded.currency, taken_at = now();

    return null;
end
$$;

drop trigger if exists manual_items_snapshot on north.manual_items;
create trigger manual_items_snapshot
    after insert or update of value_cents, kind, currency
    on north.manual_items
    for each row execute function north.manual_items_snapshot();
