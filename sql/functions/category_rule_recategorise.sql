-- A user's rule (new or changed) applied: every transaction of theirs it
-- matches that they did not sort by hand, past ones included, is
-- categorised again in one statement. Returns how many.
create or replace function north.category_rule_recategorise(p_user uuid,
    p_pattern text)
returns bigint
language plpgsql as $$
declare
    n bigint;
begin
    update north.transactions x set category_source = 'unset'
    where x.user_id = p_user and x.user_category is null
      and position(' ' || p_pattern || ' ' in x.merchant_key) > 0;
    get diagnostics n = row_count;

    return n;
end
$$;
