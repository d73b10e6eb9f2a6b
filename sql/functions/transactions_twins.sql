-- new transactions may be the twins of ones already there (or of each
-- other): those whose category ranks below a transfer are worked out again
create or replace function north.transactions_twins()
returns trigger
language plpgsql
-- each twin one index probe (user, amount, date): the plan is kept for the
-- connection, and one made while the statistics said the table was empty,
-- as at a first sync, scanned every transaction for each added row
set enable_seqscan = off
as $$
begin
    update north.transactions o set category_source = 'unset'
    from added n
    where n.amount_cents <> 0 and o.user_id = n.user_id
      and o.amount_cents = -n.amount_cents
      and o.date between n.date - 3 and n.date + 3
      and o.account_id <> n.account_id
      and o.category_source in ('north', 'plaid', 'none');

    return null;
end
$$;

drop trigger if exists transactions_twins on north.transactions;
create trigger transactions_twins
    after insert on north.transactions
    referencing new table as added
    for each statement execute function north.transactions_twins();
