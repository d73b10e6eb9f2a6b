-- Whether p_user's latest word on p_purpose is a grant. Every service that
-- acts under a consent asks this when it acts, so a withdrawal holds at
-- once. Services that must undo something (unlink banks) add a trigger on
-- north.consents for their purpose.
create or replace function north.consent_granted(p_user uuid, p_purpose text)
returns boolean
language sql stable as $$
    select coalesce((select c.granted from north.consents c
                     where c.user_id = p_user and c.purpose = p_purpose
                     order by c.id desc limit 1), false)
$$;
