-- outcome: new (the caller runs the request) | in_progress (whatever the
-- request) | replay | mismatch (another request under this key). A key
-- lives 24 hours; a claim left by a request that never finished is taken
-- over after 5 minutes.
create or replace function north.idempotency_claim(p_user uuid, p_key text,
    p_hash text)
returns table (outcome text, status smallint, content_type text, body text)
language plpgsql as $$
declare
    k north.idempotency_keys;
begin
    delete from north.idempotency_keys i
    where i.user_id = p_user and i.key = p_key
      and (i.created_at < now() - interval '24 hours'
           or i.status is null and i.created_at < now() - interval '5 minutes');

    insert into north.idempotency_keys (user_id, key, request_hash)
    values (p_user, p_key, p_hash)
    on conflict do nothing;

    if found then
        return query select 'new'::text, null::smallint, null::text, null::text;
        return;
    end if;

    select * into k from north.idempotency_keys i
    where i.user_id = p_user and i.key = p_key;

    if k.status is null then
        return query select 'in_progress'::text, null::smallint, null::text,
                            null::text;
    elsif k.request_hash <> p_hash then
        return query select 'mismatch'::text, null::smallint, null::text,
                            null::text;
    else
        return query select 'replay'::text, k.status, k.content_type, k.body;
    end if;
end $$;
