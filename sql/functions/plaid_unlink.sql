-- Unlinks items of a user (all, or one): they are queued for /item/remove
-- and deleted with their accounts and transactions at once; the job that
-- calls Plaid is queued. Returns the ids of the items unlinked.
create or replace function north.plaid_unlink(p_user uuid, p_item uuid)
returns setof uuid
language plpgsql as $$
declare
    v_ids uuid[];
begin
    with gone as (
        delete from north.plaid_items
        where user_id = p_user and (p_item is null or id = p_item)
        returning id, plaid_item_id, access_token, token_key_id
    ), queued as (
        insert into north.plaid_removals (plaid_item_id, access_token,
                                          token_key_id)
        select plaid_item_id, access_token, token_key_id from gone
    )
    select array_agg(id) into v_ids from gone;

    if v_ids is not null then
        insert into north.jobs (kind) values ('plaid.remove');
    end if;

    return query select unnest(v_ids);
end $$;
