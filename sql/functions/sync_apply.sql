-- POST /v1/sync: offline edits, each {client_mutation_id, entity, id,
-- base_version, hlc, op (upsert | delete), fields} as the handler checked
-- their shape. Each is merged per field, the latest clock winning: a field
-- is written when its clock is newer than that of the field's last write,
-- so every order of the same edits ends in the same state. A field that
-- changed after base_version, to another value than the edit's, is
-- reported as a conflict with both values and the winner. A delete is
-- final: an edit of a deleted entity is a conflict, not a resurrection.
-- Fields the app may not write are refused one by one, with why. Each
-- edit's outcome is kept: a replay of its client_mutation_id answers it
-- again and changes nothing. Returns {applied, conflicts, rejected}.
create or replace function north.sync_apply(p_user uuid, p_mutations jsonb)
returns jsonb
language plpgsql as $$
declare
    m           jsonb;
    e           north.sync_entities;
    c           north.sync_changes;
    v_cur       jsonb;
    v_outcome   jsonb;
    v_kept      jsonb;
    v_conflicts jsonb;
    v_rejected  jsonb;
    v_win       jsonb;
    v_why       text;
    v_detail    text;
    v_col       text;
    v_con       text;
    v_tbl       text;
    v_op        text;
    v_id        uuid;
    v_hlc       text;
    v_base      bigint;
    v_version   bigint;
    v_accepted  boolean;
    v_gone      boolean;
    f           text;
    v           jsonb;
    v_type      regtype;
    v_notnull   boolean;
    v_ahead     text := to_char((north.clock_now() + interval '5 minutes')
                                at time zone 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    applied     jsonb := '[]';
    conflicts   jsonb := '[]';
    rejected    jsonb := '[]';
begin
    -- one push of a user's at a time: a replay racing its first sending
    -- waits for it, and then finds its outcome
    perform pg_advisory_xact_lock(hashtextextended('north.sync:' || p_user, 0));

    for m in select * from jsonb_array_elements(p_mutations) loop
        select outcome into v_kept from north.sync_mutations
        where user_id = p_user
          and client_mutation_id = m->>'client_mutation_id';

        if found then
            applied := applied || coalesce(v_kept->'applied', '[]');
            conflicts := conflicts || coalesce(v_kept->'conflicts', '[]');
            rejected := rejected || coalesce(v_kept->'rejected', '[]');
            continue;
        end if;

        v_id := (m->>'id')::uuid;
        v_hlc := m->>'hlc';
        v_base := coalesce((m->>'base_version')::bigint, 0);
        v_op := coalesce(m->>'op', 'upsert');
        v_conflicts := '[]';
        v_rejected := '[]';
        v_win := '{}';
        v_why := null;
        v_detail := null;
        v_accepted := true;
        v_gone := false;
        v_version := null;
        v_outcome := jsonb_build_object('client_mutation_id',
                                        m->'client_mutation_id',
                                        'entity', m->'entity', 'id', v_id);

        select * into e from north.sync_entities where entity = m->>'entity';

        if not found then
            v_why := 'unknown-entity';
        elsif left(v_hlc, 24) > v_ahead then
            v_why := 'clock-ahead';
        end if;

        if v_why is null then
            -- the entity locked first: its change row is then the latest
            execute format('select to_jsonb(t) from %s t'
                           ' where t.%I = $1 and t.%I = $2 for update',
                           e.tbl, e.id_col, e.user_col)
            into v_cur using v_id, p_user;

            select * into c from north.sync_changes x
            where x.user_id = p_user and x.entity = e.entity and x.id = v_id;

            if v_cur is null and c.op = 'delete' and v_op = 'delete' then
                -- another device deleted it first: done already
                v_gone := true;
            elsif v_cur is null and c.op = 'delete' then
                v_conflicts := v_conflicts || jsonb_build_object(
                    'field', null, 'reason', 'deleted', 'winner', 'server');
                v_accepted := false;
            elsif v_cur is null and (v_op = 'delete' or not e.deletable) then
                v_why := 'not-found';
            elsif v_op = 'delete' and not e.deletable then
                v_why := 'not-deletable';
            end if;
        end if;

        if v_why is null and jsonb_array_length(v_conflicts) = 0
           and not v_gone
        then
            if v_op <> 'delete' then
                for f, v in select * from jsonb_each(m->'fields') loop
                    select a.atttypid::regtype, a.attnotnull
                    into v_type, v_notnull
                    from pg_attribute a
                    where a.attrelid = e.tbl and a.attname = f
                      and not a.attisdropped;

                    if not (f = any (e.fields)) and not (f = any (e.creatable)) then
                        v_rejected := v_rejected || jsonb_build_object(
                            'field', f, 'reason', 'unknown-field');
                    elsif not (f = any (e.writable))
                          and not (v_cur is null and f = any (e.creatable))
                    then
                        v_rejected := v_rejected || jsonb_build_object(
                            'field', f, 'reason',
                            case when e.owner = 'bank'
                                      and not (f = any (e.creatable))
                                 then 'bank-owned' else 'read-only' end);
                    elsif not north.sync_value_ok(v_type, v)
                          or (v_notnull and jsonb_typeof(v) = 'null')
                    then
                        v_rejected := v_rejected || jsonb_build_object(
                            'field', f, 'reason', 'invalid-value');
                    elsif v_cur is null then
                        v_win := v_win || jsonb_build_object(f, v);
                    else
                        -- the latest clock wins the field (the same clock
                        -- twice, a device's fault: the greater value, so
                        -- that every order still ends the same)
                        if c.clocks->>f is null or v_hlc > c.clocks->>f
                           or (v_hlc = c.clocks->>f
                               and v::text > coalesce((v_cur->f)::text, ''))
                        then
                            v_win := v_win || jsonb_build_object(f, v);
                        end if;

                        if coalesce((c.versions->>f)::bigint, 0) > v_base
                           and v_cur->f is distinct from v
                        then
                            v_conflicts := v_conflicts || jsonb_build_object(
                                'field', f, 'client_value', v,
                                'server_value', v_cur->f,
                                'winner', case when v_win ? f
                                               then 'client' else 'server' end);
                        end if;
                    end if;
                end loop;
            end if;

            -- a creation or a delete is written whole; an edit, its winners
            if v_op = 'delete' or v_cur is null or v_win <> '{}' then
                begin
                    perform set_config('north.sync_hlc', v_hlc, true);
                    perform set_config('north.sync_target',
                                       e.entity || '/' || v_id, true);
                    perform set_config('north.sync_fields',
                        (select string_agg(k, ',') from jsonb_object_keys(v_win) k),
                        true);
                    v_why := north.sync_write(p_user, e.entity,
                        case when v_op = 'delete' then 'delete'
                             when v_cur is null then 'create'
                             else 'update' end,
                        v_id, v_win);
                exception
                    when check_violation or not_null_violation
                         or foreign_key_violation or unique_violation
                         or invalid_text_representation
                         or invalid_datetime_format
                         or datetime_field_overflow
                         or numeric_value_out_of_range
                         or string_data_right_truncation
                    then
                        get stacked diagnostics v_col = column_name,
                                                v_con = constraint_name,
                                                v_tbl = table_name;
                        v_why := case when v_con = v_tbl || '_pkey'
                                      then 'id-taken' else 'invalid-value' end;
                        -- the field: named, or the one its check is on
                        v_col := coalesce(nullif(v_col, ''), substring(v_con
                                     from '^' || v_tbl || '_(.*)_(check|key|fkey)$'));
                        v_detail := case
                            when v_why = 'id-taken' then null
                            when sqlstate = '23502' then 'is required'
                            when sqlstate = '23505' then 'exists already'
                            when sqlstate = '23503' then 'names nothing known'
                            when sqlstate = '23514' then 'is not allowed'
                            else 'does not fit' end;
                end;
                perform set_config('north.sync_hlc', '', true);
                perform set_config('north.sync_target', '', true);
                perform set_config('north.sync_fields', '', true);

                if v_why is not null then
                    -- nothing of it was written
                    v_rejected := v_rejected || (jsonb_strip_nulls(
                        jsonb_build_object('reason', v_why, 'detail', v_detail))
                        || jsonb_build_object('field',
                               case when m->'fields' ? v_col then v_col end));
                    v_conflicts := '[]';
                    v_win := '{}';
                    v_accepted := false;
                    v_why := null;
                end if;
            end if;

            -- accepted when something of it stood: a write, or a field
            -- that lost to a later one
            v_accepted := v_accepted and (v_op = 'delete' or v_win <> '{}'
                or exists (select 1 from jsonb_object_keys(m->'fields') k
                           where not exists (
                               select 1 from jsonb_array_elements(v_rejected) r
                               where r->>'field' = k)));
        end if;

        if v_why is not null then
            v_rejected := v_rejected || jsonb_build_object('field', null,
                                                           'reason', v_why);
            v_accepted := false;
        end if;

        select x.version into v_version from north.sync_changes x
        where x.user_id = p_user and x.entity = m->>'entity' and x.id = v_id;

        v_kept := jsonb_build_object(
            'applied', case when v_accepted
                            then jsonb_build_array(v_outcome || jsonb_build_object(
                                'version', v_version,
                                'fields', (select coalesce(jsonb_agg(k), '[]')
                                           from jsonb_object_keys(v_win) k)))
                            else '[]' end,
            'conflicts', (select coalesce(jsonb_agg(v_outcome || x), '[]')
                          from jsonb_array_elements(v_conflicts) x),
            'rejected', (select coalesce(jsonb_agg(v_outcome || x), '[]')
                         from jsonb_array_elements(v_rejected) x));

        insert into north.sync_mutations (user_id, client_mutation_id, outcome)
        values (p_user, m->>'client_mutation_id', v_kept);

        applied := applied || (v_kept->'applied');
        conflicts := conflicts || (v_kept->'conflicts');
        rejected := rejected || (v_kept->'rejected');
    end loop;

    return jsonb_build_object('applied', applied, 'conflicts', conflicts,
                              'rejected', rejected);
end
$$;
