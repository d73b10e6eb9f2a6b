create or replace function north.transactions_categorise()
returns trigger
language plpgsql as $$
begin
    new.merchant_key := north.category_key(coalesce(new.merchant_name,
                                                    new.name));

    select c.category, c.source into new.category, new.category_source
    from north.category_pick(new.user_id, array[row(1, new.account_id,
             new.amount_cents, new.date, new.merchant_key, new.user_category,
             new.pfc_primary, new.pfc_detailed)::north.category_input]) c;

    return new;
end
$$;

drop trigger if exists transactions_categorise on north.transactions;
create trigger transactions_categorise
    before insert or update on north.transactions
    for each row when (new.category_source = 'unset')
    execute function north.transactions_categorise();
