-- A date as the user's language writes it in a sentence: November 29, and
-- 29 novembre (1er novembre on the first).
create or replace function north.day_text(p_day date, p_fr boolean)
returns text
language sql immutable as $$
    select case when p_fr then
        case when extract(day from p_day) = 1 then '1er'
             else extract(day from p_day)::text end
        || ' ' || (array['janvier', 'février', 'mars', 'avril', 'mai', 'juin',
                         'juillet', 'août', 'septembre', 'octobre',
                         'novembre', 'décembre'])[extract(month from p_day)]
    else
        (array['January', 'February', 'March', 'April', 'May', 'June',
               'July', 'August', 'September', 'October', 'November',
               'December'])[extract(month from p_day)]
        || ' ' || extract(day from p_day)::text
    end
$$;
