-- The pattern "apply to similar" makes of a transaction: its merchant's
-- key without the words that carry digits (store numbers, references).
create or replace function north.category_rule_pattern(p_key text)
returns text
language sql immutable as $$
    select nullif(left(btrim(regexp_replace(
               regexp_replace(p_key, ' [a-z]*[0-9][a-z0-9]*(?= )', ' ', 'g'),
               ' +', ' ', 'g')), 160), '')
$$;
