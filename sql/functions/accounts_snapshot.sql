create or replace function north.accounts_snapshot()
returns trigger
language plpgsql as $$
begin
    insert into north.balance_snapshots (source_id, day, user_id, account_id,
        liability, cents, currency)
    values (new.id, north.user_today(new.user_id), new.user_id, new.id,
            north.account_is_liability(new.type),
            case when north.account_is_liability(new.type)
                 then -new.balance_cents else new.balance_cents end,
            new.currency)
    on conflict (source_id, day) do update
    set liability = excluded.liability, cents = excluded.cents,
        currency = excluded.currency, taken_at = now();

    return null;
end
$$;

drop trigger if exists accounts_snapshot on north.accounts;
create trigger accounts_snapshot
    after insert or update of balance_cents, type, currency on north.accounts
    for each row execute function north.accounts_snapshot();
