-- A notification's title and body in the user's language, from its
-- template and parameters (the user's own figures, formatted for the
-- language). An unknown template has none.
create or replace function north.notification_text(p_template text,
    p_params jsonb, p_fr boolean, out title text, out body text)
language plpgsql immutable as $$
begin
    case p_template
    when 'goal_milestone' then
        if p_fr then
            title := 'Étape franchie';
            body := format('« %s » est financé à %s %% : %s sur %s.',
                           p_params->>'goal', p_params->>'percent',
                           north.money_text((p_params->>'saved_cents')::bigint, true),
                           north.money_text((p_params->>'target_cents')::bigint, true));
        else
            title := 'Goal milestone';
            body := format('"%s" is %s%% funded: %s of %s.',
                           p_params->>'goal', p_params->>'percent',
                           north.money_text((p_params->>'saved_cents')::bigint, false),
                           north.money_text((p_params->>'target_cents')::bigint, false));
        end if;
    when 'large_transaction' then
        if p_fr then
            title := 'Grosse dépense';
            body := format('%s chez %s le %s.',
                           north.money_text((p_params->>'amount_cents')::bigint, true),
                           p_params->>'merchant',
                           north.day_text((p_params->>'day')::date, true));
        else
            title := 'Large transaction';
            body := format('%s at %s on %s.',
                           north.money_text((p_params->>'amount_cents')::bigint, false),
                           p_params->>'merchant',
                           north.day_text((p_params->>'day')::date, false));
        end if;
    when 'low_balance' then
        if p_fr then
            title := 'Solde bas';
            body := format('Il reste %s dans %s.',
                           north.money_text((p_params->>'balance_cents')::bigint, true),
                           p_params->>'account');
        else
            title := 'Low balance';
            body := format('%s has %s left.', p_params->>'account',
                           north.money_text((p_params->>'balance_cents')::bigint, false));
        end if;
    when 'new_device' then
        if p_fr then
            title := 'Nouvelle connexion';
            body := format('Votre compte a été ouvert sur %s le %s. Si ce '
                           'n''était pas vous, changez votre mot de passe.',
                           p_params->>'device',
                           north.day_text((p_params->>'day')::date, true));
        else
            title := 'New sign-in';
            body := format('Your account was signed in on %s on %s. If it '
                           'was not you, change your password.',
                           p_params->>'device',
                           north.day_text((p_params->>'day')::date, false));
        end if;
    when 'password_changed' then
        if p_fr then
            title := 'Mot de passe modifié';
            body := format('Votre mot de passe a été modifié le %s. Si ce '
                           'n''était pas vous, écrivez-nous.',
                           north.day_text((p_params->>'day')::date, true));
        else
            title := 'Password changed';
            body := format('Your password was changed on %s. If it was not '
                           'you, write to us.',
                           north.day_text((p_params->>'day')::date, false));
        end if;
    when 'streak_at_risk' then
        if p_fr then
            title := 'Votre série est en jeu';
            body := format('Votre série de %s jours s''arrête à minuit : '
                           'faites votre visite aujourd''hui pour la garder.',
                           p_params->>'days');
        else
            title := 'Keep your streak';
            body := format('Your %s-day check-in streak ends at midnight: '
                           'check in today to keep it.', p_params->>'days');
        end if;
    when 'weekly_summary' then
        if p_fr then
            title := 'Votre semaine';
            body := format('Vous avez dépensé %s cette semaine, %s la semaine '
                           'dernière.%s',
                           north.money_text((p_params->>'spending_cents')::bigint, true),
                           north.money_text((p_params->>'previous_cents')::bigint, true),
                           case when p_params->>'top_fr' is not null
                                then format(' Surtout : %s (%s).', p_params->>'top_fr',
                                            north.money_text((p_params->>'top_cents')::bigint, true))
                                else '' end);
        else
            title := 'Your week';
            body := format('You spent %s this week, %s the week before.%s',
                           north.money_text((p_params->>'spending_cents')::bigint, false),
                           north.money_text((p_params->>'previous_cents')::bigint, false),
                           case when p_params->>'top_en' is not null
                                then format(' Most on %s (%s).', p_params->>'top_en',
                                            north.money_text((p_params->>'top_cents')::bigint, false))
                                else '' end);
        end if;
    else
        title := null;
        body := null;
    end case;
end $$;
