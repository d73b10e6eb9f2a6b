-- Takes the item's sync lease for a job: one sync at a time, across workers
-- and nodes. status: ok | busy (another job's sync holds it) | gone |
-- login_required (its user must log in again first). The same job claimed
-- again (its worker died or left) takes the lease over.
create or replace function north.plaid_sync_begin(p_item uuid, p_job bigint)
returns table (status text, plaid_item_id text, access_token text,
               token_key_id text, cursor text)
language plpgsql as $$
declare
    i north.plaid_items;
begin
    select * into i from north.plaid_items where id = p_item for update;

    if not found then
        return query select 'gone'::text, null::text, null::text, null::text,
                            null::text;
    elsif i.health = 'login_required' then
        return query select 'login_required'::text, null::text, null::text,
                            null::text, null::text;
    elsif i.sync_job is distinct from p_job
          and north.plaid_syncing(i.sync_job)
    then
        return query select 'busy'::text, null::text, null::text, null::text,
                            null::text;
    else
        update north.plaid_items set sync_job = p_job where id = p_item;

        return query select 'ok'::text, i.plaid_item_id, i.access_token,
                            i.token_key_id, i.cursor;
    end if;
end $$;
