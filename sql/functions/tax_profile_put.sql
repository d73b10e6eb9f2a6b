-- PUT /v1/tax/profile: the whole profile replaced by p_body (checked by
-- the handler; a member left out is cleared).
create or replace function north.tax_profile_put(p_user uuid, p_body jsonb)
returns jsonb
language sql as $$
    insert into north.tax_profiles as t
        (user_id, birth_year, province, resident_since_year,
         rrsp_deduction_limit_cents, rrsp_deduction_limit_year,
         prior_year_earned_income_cents, pension_adjustment_cents,
         fhsa_opened_year, tfsa_room_cents, tfsa_room_year)
    values (p_user,
            (p_body ->> 'birth_year')::smallint,
            p_body ->> 'province',
            (p_body ->> 'resident_since_year')::smallint,
            (p_body ->> 'rrsp_deduction_limit_cents')::bigint,
            (p_body ->> 'rrsp_deduction_limit_year')::smallint,
            (p_body ->> 'prior_year_earned_income_cents')::bigint,
            (p_body ->> 'pension_adjustment_cents')::bigint,
            (p_body ->> 'fhsa_opened_year')::smallint,
            (p_body ->> 'tfsa_room_cents')::bigint,
            (p_body ->> 'tfsa_room_year')::smallint)
    on conflict (user_id) do update set
        birth_year = excluded.birth_year,
        province = excluded.province,
        resident_since_year = excluded.resident_since_year,
        rrsp_deduction_limit_cents = excluded.rrsp_deduction_limit_cents,
        rrsp_deduction_limit_year = excluded.rrsp_deduction_limit_year,
        prior_year_earned_income_cents = excluded.prior_year_earned_income_cents,
        pension_adjustment_cents = excluded.pension_adjustment_cents,
        fhsa_opened_year = excluded.fhsa_opened_year,
        tfsa_room_cents = excluded.tfsa_room_cents,
        tfsa_room_year = excluded.tfsa_room_year,
        updated_at = now();

    select north.tax_profile_json(p_user);
$$;
