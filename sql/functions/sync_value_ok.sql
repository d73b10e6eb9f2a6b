-- Whether a JSON value an offline edit sends fits a column of type p_type
-- (null fits any: a column that refuses it says so when written). A number
-- is no text and a text no number: nothing is converted silently.
create or replace function north.sync_value_ok(p_type regtype, p_value jsonb)
returns boolean
language plpgsql immutable as $$
begin
    if jsonb_typeof(p_value) = 'null' then
        return true;
    end if;

    case p_type
    when 'text'::regtype, 'character'::regtype then
        return jsonb_typeof(p_value) = 'string';
    when 'bigint'::regtype, 'integer'::regtype, 'smallint'::regtype then
        return jsonb_typeof(p_value) = 'number'
               and p_value::text ~ '^-?[0-9]{1,18}$';
    when 'boolean'::regtype then
        return jsonb_typeof(p_value) = 'boolean';
    when 'date'::regtype then
        return jsonb_typeof(p_value) = 'string'
               and p_value #>> '{}' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
               and (p_value #>> '{}')::date is not null;
    when 'uuid'::regtype then
        return jsonb_typeof(p_value) = 'string'
               and (p_value #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    else
        return false;
    end case;
exception when datetime_field_overflow or invalid_datetime_format then
    return false;
end
$$;
