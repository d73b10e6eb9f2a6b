-- The item's health after an error of Plaid's or a webhook.
create or replace function north.plaid_item_health(p_plaid_item text, p_health text,
    p_detail text)
returns table (item_id uuid, user_id uuid)
language sql as $$
    update north.plaid_items
    set health = p_health, health_detail = p_detail, updated_at = now()
    where plaid_item_id = p_plaid_item
    returning id, user_id
$$;
