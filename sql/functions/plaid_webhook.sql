-- What a verified webhook says of an item: a sync to run, or its health.
-- Returns the item's user (for the audit record), none for an item unknown.
create or replace function north.plaid_webhook(p_plaid_item text, p_type text,
    p_code text, p_error_code text)
returns table (user_id uuid)
language plpgsql as $$
declare
    i north.plaid_items;
begin
    select * into i from north.plaid_items where plaid_item_id = p_plaid_item;

    if not found then
        return;
    end if;

    if p_type = 'TRANSACTIONS' then
        perform north.plaid_sync_queue(i.id);

    elsif p_type = 'ITEM' and p_code = 'ERROR' then
        update north.plaid_items
        set health = case when p_error_code = 'ITEM_LOGIN_REQUIRED'
                          then 'login_required' else 'error' end,
            health_detail = p_error_code, updated_at = now()
        where id = i.id;

    elsif p_type = 'ITEM' and p_code = 'PENDING_DISCONNECT' then
        update north.plaid_items
        set health = 'pending_disconnect', health_detail = p_code,
            updated_at = now()
        where id = i.id;

    elsif p_type = 'ITEM' and p_code = 'LOGIN_REPAIRED' then
        update north.plaid_items
        set health = 'good', health_detail = null, updated_at = now()
        where id = i.id;
        perform north.plaid_sync_queue(i.id);
    end if;

    return query select i.user_id;
end $$;
