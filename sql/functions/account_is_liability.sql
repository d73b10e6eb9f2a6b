create or replace function north.account_is_liability(p_type text)
returns boolean
language sql immutable as $$
    select p_type in ('credit', 'loan')
$$;
