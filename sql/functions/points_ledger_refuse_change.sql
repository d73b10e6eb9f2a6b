-- The points ledger is append-only: a row is added or, with its user's
-- other data, erased; never changed.
create or replace function north.points_ledger_refuse_change()
returns trigger
language plpgsql as $$
begin
    raise exception 'north.points_ledger is append-only'
        using errcode = 'insufficient_privilege';
end $$;

drop trigger if exists points_ledger_append_only on north.points_ledger;
create trigger points_ledger_append_only
    before update on north.points_ledger
    for each row execute function north.points_ledger_refuse_change();
