-- New bank data for a user with no stream open (the caller checked): one
-- silent push to each of their devices that had none in the last 15
-- minutes, so that the app fetches the changes without a stream held open
-- all day. Returns how many were queued.
create or replace function north.sync_push(p_user uuid)
returns integer
language plpgsql as $$
declare
    v_now timestamptz := north.clock_now();
    n     integer;
begin
    insert into north.push_deliveries (user_id, device_id, silent,
                                       not_before)
    select t.user_id, t.device_id, 'sync', v_now
    from north.push_tokens t
    where t.user_id = p_user
      and not exists (select 1 from north.push_deliveries d
                      where d.user_id = t.user_id
                        and d.device_id = t.device_id
                        and d.silent is not null
                        and d.not_before > v_now - interval '15 minutes');
    get diagnostics n = row_count;

    if n > 0 then
        perform north.push_wake();
    end if;

    return n;
end
$$;
