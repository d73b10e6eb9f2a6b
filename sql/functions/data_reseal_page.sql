-- The next secrets to re-seal: up to page_size Plaid access tokens sealed
-- under a key of the ring other than current_key, as (table, id, aad,
-- sealed, key id); the aad is the Plaid item id both tables seal under.
create or replace function north.data_reseal_page(current_key text, ring text[],
                                                  page_size integer)
returns table (tbl text, id text, aad text, sealed text, key_id text)
language sql stable as $$
    (select 'item', i.id::text, i.plaid_item_id, i.access_token, i.token_key_id
     from north.plaid_items i
     where i.token_key_id <> current_key and i.token_key_id = any(ring)
     limit page_size)
    union all
    (select 'removal', r.id::text, r.plaid_item_id, r.access_token, r.token_key_id
     from north.plaid_removals r
     where r.token_key_id <> current_key and r.token_key_id = any(ring)
     limit page_size)
    limit page_size
$$;
