-- A row as to_jsonb() renders it (an export's), its instants in the one
-- form of the wire (north.rfc3339): to_jsonb writes a timestamptz in the
-- session's zone and to as many digits as it has.
create or replace function north.json_times(p_row jsonb)
returns jsonb
language sql stable parallel safe as $$
    select coalesce(jsonb_object_agg(k,
        case when jsonb_typeof(v) = 'string'
                  and v #>> '{}'
                      ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d(:\d\d)?$'
             then to_jsonb(north.rfc3339((v #>> '{}')::timestamptz))
             else v end), '{}')
    from jsonb_each(p_row) as e(k, v)
$$;
