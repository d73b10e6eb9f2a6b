-- The zone most of a province or territory lives in.
create or replace function north.province_time_zone(p_province text)
returns text
language sql immutable as $$
    select case p_province
        when 'NL' then 'America/St_Johns'
        when 'NS' then 'America/Halifax'
        when 'PE' then 'America/Halifax'
        when 'NB' then 'America/Moncton'
        when 'QC' then 'America/Toronto'
        when 'ON' then 'America/Toronto'
        when 'NU' then 'America/Iqaluit'
        when 'MB' then 'America/Winnipeg'
        when 'SK' then 'America/Regina'
        when 'AB' then 'America/Edmonton'
        when 'NT' then 'America/Yellowknife'
        when 'BC' then 'America/Vancouver'
        when 'YT' then 'America/Whitehorse'
    end
$$;
