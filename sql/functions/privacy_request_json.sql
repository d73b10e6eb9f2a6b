create or replace function north.privacy_request_json(q north.privacy_requests)
returns json
language sql stable as $$
    select json_build_object(
        'id', q.id,
        'kind', q.kind,
        'details', q.details,
        'status', q.status,
        'received_at', north.rfc3339(q.received_at),
        'due_at', north.rfc3339(q.due_at),
        'extended_until', north.rfc3339(q.extended_until),
        'extension_reason', q.extension_reason,
        'responded_at', north.rfc3339(q.responded_at),
        'response', q.response,
        -- no answer in time is a deemed refusal (s.8(5))
        'overdue', q.status in ('received', 'in_progress', 'extended')
                   and now() > coalesce(q.extended_until, q.due_at))
$$;
