-- The privacy officer's extension: only before the first deadline passes
-- (its notice must reach the person within the original 30 days), once.
create or replace function north.privacy_request_extend(p_id uuid, p_until timestamptz,
    p_reason text)
returns north.privacy_requests
language plpgsql as $$
declare
    q north.privacy_requests;
begin
    select * into q from north.privacy_requests where id = p_id for update;

    if not found then
        raise exception 'no privacy request %', p_id
            using errcode = 'no_data_found';
    end if;

    if q.extended_until is not null then
        raise exception 'privacy request % is already extended', p_id
            using errcode = 'check_violation';
    end if;

    if now() > q.due_at then
        raise exception 'privacy request % is past its due date: an '
                        'extension must be given within 30 days', p_id
            using errcode = 'check_violation';
    end if;

    if q.status not in ('received', 'in_progress') then
        raise exception 'privacy request % is %', p_id, q.status
            using errcode = 'check_violation';
    end if;

    update north.privacy_requests
    set extended_until = p_until, extension_reason = p_reason,
        status = 'extended'
    where id = p_id
    returning * into q;

    return q;
end $$;
