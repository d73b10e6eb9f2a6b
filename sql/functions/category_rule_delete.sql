-- Deletes a user's rule and categorises its transactions again.
create or replace function north.category_rule_delete(p_user uuid, p_id uuid)
returns bigint
language plpgsql as $$
declare
    v_pattern text;
    n         bigint;
begin
    delete from north.category_user_rules
    where id = p_id and user_id = p_user
    returning pattern into v_pattern;

    if not found then
        return null;
    end if;

    update north.transactions t set category_source = 'unset'
    where t.user_id = p_user and t.category_source = 'user_rule'
      and position(' ' || v_pattern || ' ' in t.merchant_key) > 0;
    get diagnostics n = row_count;

    return n;
end
$$;
