-- A streak after one more period (a day, or a week's Monday, unit days
-- apart): the next period counts on; the same or an earlier one changes
-- nothing (counted false); one missed day is covered by a freeze when
-- p_freeze and none covered a day in the 30 before it; a longer gap starts
-- again at 1. The covered day is not counted, only bridged.
create or replace function north.streak_step(p_current integer,
    p_longest integer, p_last date, p_freeze_on date, p_period date,
    p_unit integer, p_freeze boolean,
    out current integer, out longest integer, out freeze_on date,
    out counted boolean)
language plpgsql immutable as $$
begin
    current := p_current;
    longest := p_longest;
    freeze_on := p_freeze_on;
    counted := true;

    if p_last is not null and p_period <= p_last then
        counted := false;
    elsif p_last is not null and p_period = p_last + p_unit then
        current := p_current + 1;
    elsif p_last is not null and p_freeze and p_period = p_last + 2
          and north.streak_freeze_ready(p_freeze_on, p_last + 1)
    then
        current := p_current + 1;
        freeze_on := p_last + 1;
    else
        current := 1;
    end if;

    longest := greatest(longest, current);
end $$;
