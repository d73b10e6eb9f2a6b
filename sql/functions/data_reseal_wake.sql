-- A data key rotation under way: while a worker holds more than one data
-- key (north_data_key), its sweep calls this with the key that seals and
-- the ring's names. A Plaid access token sealed under another key of the
-- ring wakes one re-seal job (data.reseal), unless one is waiting. Tokens
-- under a key the ring does not hold are left alone: nobody can open them.
create or replace function north.data_reseal_wake(current_key text, ring text[])
returns boolean
language sql as $$
    insert into north.jobs (kind)
    select 'data.reseal'
    where (exists (select 1 from north.plaid_items i
                   where i.token_key_id <> current_key and i.token_key_id = any(ring))
           or exists (select 1 from north.plaid_removals r
                      where r.token_key_id <> current_key and r.token_key_id = any(ring)))
      and not exists (select 1 from north.jobs j
                      where j.kind = 'data.reseal' and j.done_at is null)
    returning true
$$;
