-- A newly exchanged item, its accounts, and its first sync queued.
-- status: ok | duplicate (the user has this institution linked already:
-- the new item is queued for removal at Plaid instead).
create or replace function north.plaid_link(p_user uuid, p_plaid_item text,
    p_institution text, p_token text, p_key_id text, p_accounts jsonb)
returns table (status text, item_id uuid)
language plpgsql as $$
declare
    v_item uuid;
begin
    insert into north.plaid_items (user_id, plaid_item_id, institution_id,
                                   access_token, token_key_id)
    values (p_user, p_plaid_item, p_institution, p_token, p_key_id)
    on conflict (user_id, institution_id) do nothing
    returning id into v_item;

    if v_item is null then
        insert into north.plaid_removals (plaid_item_id, access_token,
                                          token_key_id)
        values (p_plaid_item, p_token, p_key_id);
        insert into north.jobs (kind) values ('plaid.remove');

        return query select 'duplicate'::text,
            (select i.id from north.plaid_items i
             where i.user_id = p_user and i.institution_id = p_institution);
        return;
    end if;

    perform north.plaid_accounts_upsert(v_item, p_user, p_accounts);
    perform north.event_put(p_user, 'bank_linked', v_item::text,
                            'bank_linked:' || v_item);
    perform north.plaid_sync_queue(v_item);

    return query select 'ok'::text, v_item;
end $$;
