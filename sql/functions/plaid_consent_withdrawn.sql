-- Withdrawing the bank_data consent unlinks every institution (PIPEDA 4.3.8).
create or replace function north.plaid_consent_withdrawn()
returns trigger
language plpgsql as $$
begin
    perform north.plaid_unlink(new.user_id, null);
    return new;
end $$;

drop trigger if exists consents_bank_data_withdrawn on north.consents;
create trigger consents_bank_data_withdrawn
    after insert on north.consents
    for each row
    when (new.purpose = 'bank_data' and not new.granted)
    execute function north.plaid_consent_withdrawn();
