create or replace function north.privacy_request_json(q north.privacy_requests)
returns json
language sql stable as $$
    select json_build_object(
        'id', q.id,
        'kind', q.kind,
        'details', q.details,
        'status', q.status,
        'received_at', to_char(q.received_at at time zone 'UTC',
                               'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'due_at', to_char(q.due_at at time zone 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'extended_until', to_char(q.extended_until at time zone 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'extension_reason', q.extension_reason,
        'responded_at', to_char(q.responded_at at time zone 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'response', q.response,
        -- no answer in time is a deemed refusal (s.8(5))
        'overdue', q.status in ('received', 'in_progress', 'extended')
                   and now() > coalesce(q.extended_until, q.due_at))
$$;
