-- Before the password is checked: the account (if any), and how many
-- seconds this attempt must wait (0 for a device the account knows).
create or replace function north.auth_login_gate(p_email text, p_device_id text)
returns table (user_id uuid, email text, password_hash text, wait integer)
language sql stable
set search_path = north, public
as $$
    select u.id, u.email, u.password_hash,
           case when p_device_id is not null and exists (
                    select 1 from north.sessions s
                    where s.user_id = u.id and s.device_id = p_device_id)
                then 0
                else coalesce(ceil(extract(epoch from t.wait_until - now())),
                              0)::integer
           end
    from (select 1) as one
    left join north.users u on lower(u.email) = lower(p_email)
    left join north.login_throttle t
           on t.email_hash = digest(lower(p_email), 'sha256')
          and t.wait_until > now()
$$;
