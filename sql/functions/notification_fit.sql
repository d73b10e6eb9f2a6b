-- The body, cut at a character so that the title, the body and the data
-- (the parameters, as strings) take at most 3,800 bytes: FCM refuses a
-- message over 4,096, and the envelope takes the rest.
create or replace function north.notification_fit(p_title text, p_body text,
    p_params jsonb)
returns text
language plpgsql immutable as $$
declare
    v_room integer := 3800 - octet_length(p_title)
                      - octet_length(p_params::text);
    v_body text := p_body;
begin
    while octet_length(v_body) > greatest(v_room, 0) loop
        v_body := left(v_body, greatest(char_length(v_body)
                       - greatest((octet_length(v_body) - v_room) / 4, 1), 0));
    end loop;
    return v_body;
end $$;
