create or replace function north.accounts_snapshot()
returns trigger
language plpgsql as $$
begin
    perform north.balance_snapshot_put(new.id, new.user_id, new.id, null,
        north.account_is_liability(new.type), new.balance_cents,
        new.currency);
    return null;
end
$$;

drop trigger if exists accounts_snapshot on north.accounts;
create trigger accounts_snapshot
    after insert or update of balance_cents, type, currency on north.accounts
    for each row execute function north.accounts_snapshot();
