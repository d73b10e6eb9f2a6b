create or replace function north.catalog_loaded(p_before text)
returns bigint
language plpgsql as $$
declare
    n bigint := 0;
begin
    if p_before is distinct from north.catalog_digest() then
        update north.transactions set category_source = 'unset';
        get diagnostics n = row_count;
    end if;

    return n;
end
$$;
