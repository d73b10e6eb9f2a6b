create or replace function north.fx_rate_set(p_currency text, p_rate numeric,
    p_as_of date, p_source text default 'admin')
returns void
language sql as $$
    insert into north.fx_rates (currency, as_of, rate, source)
    values (upper(p_currency), p_as_of, p_rate, p_source)
    on conflict (currency, as_of) do update
    set rate = excluded.rate, source = excluded.source
$$;
