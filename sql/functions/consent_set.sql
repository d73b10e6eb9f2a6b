-- A grant or withdrawal, recorded when it changes the state or the policy
-- version. status: ok | required (a required purpose cannot be withdrawn).
create or replace function north.consent_set(p_user uuid, p_purpose text,
    p_granted boolean, p_policy text, p_ip inet)
returns table (status text, consents json)
language plpgsql as $$
declare
    cur north.consents;
begin
    -- one change at a time per user: the history stays in order
    perform 1 from north.users where id = p_user for update;

    if not p_granted and (select required from north.consent_purposes
                          where purpose = p_purpose) then
        return query select 'required'::text, null::json;
        return;
    end if;

    select * into cur from north.consents
    where user_id = p_user and purpose = p_purpose
    order by id desc limit 1;

    if cur.id is null and not p_granted
       or cur.granted is not distinct from p_granted
          and cur.policy_version is not distinct from p_policy
    then
        return query select 'ok'::text, north.consents_json(p_user, p_policy);
        return;
    end if;

    insert into north.consents (user_id, purpose, granted, policy_version, ip)
    values (p_user, p_purpose, p_granted, p_policy, p_ip);

    return query select 'ok'::text, north.consents_json(p_user, p_policy);
end $$;
