-- The catalog's fingerprint, and what loading it does when it changed.
create or replace function north.catalog_digest()
returns text
language sql stable as $$
    select md5(coalesce((select string_agg(c::text, '|' order by c.id)
                         from north.categories c), '')
               || coalesce((select string_agg(r::text, '|' order by r.pattern)
                            from north.category_rules r), '')
               || coalesce((select string_agg(p::text, '|' order by p.pattern)
                            from north.category_pfc p), ''))
$$;
