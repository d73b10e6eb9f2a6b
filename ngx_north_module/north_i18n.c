/*
 * North's French messages: titles, details and field errors, by their
 * English text. Messages built with numbers have their French form where
 * they are built.
 */

#include "north_i18n.h"

#include <string.h>


static const char *const  north_i18n_table[][2] = {

    /* titles */
    { "Malformed JSON", "JSON mal formé" },
    { "Invalid UTF-8", "UTF-8 invalide" },
    { "Unsupported media type", "Type de média non pris en charge" },
    { "Invalid request", "Requête invalide" },
    { "Method not allowed", "Méthode non permise" },
    { "Not found", "Introuvable" },
    { "Bad request", "Requête incorrecte" },
    { "Unauthorized", "Authentification requise" },
    { "Forbidden", "Interdit" },
    { "Request timeout", "Délai de requête dépassé" },
    { "Payload too large", "Contenu trop volumineux" },
    { "URI too long", "URI trop longue" },
    { "Request header too large", "En-tête de requête trop grand" },
    { "HTTP version not supported", "Version HTTP non prise en charge" },
    { "Too many requests", "Trop de requêtes" },
    { "Not implemented", "Non implémenté" },
    { "Bad gateway", "Passerelle incorrecte" },
    { "Service temporarily unavailable",
      "Service temporairement indisponible" },
    { "Gateway timeout", "Délai de passerelle dépassé" },
    { "Internal server error", "Erreur interne du serveur" },
    { "Request failed", "Échec de la requête" },
    { "Not ready", "Pas prêt" },
    { "Server busy", "Serveur occupé" },
    { "E-mail already registered", "Courriel déjà inscrit" },
    { "Login failed", "Échec de la connexion" },
    { "Invalid refresh token", "Jeton de renouvellement invalide" },
    { "Wrong password", "Mot de passe erroné" },
    { "Biometric login failed", "Échec de la connexion biométrique" },
    { "Too many attempts", "Trop de tentatives" },
    { "Precondition failed", "Condition préalable non remplie" },
    { "Confirmation required", "Confirmation requise" },
    { "Consent required", "Consentement requis" },
    { "Invalid Idempotency-Key", "Idempotency-Key invalide" },
    { "Idempotency-Key reused", "Idempotency-Key réutilisée" },
    { "Request in progress", "Requête en cours" },
    { "No tax figures for that year",
      "Aucun chiffre fiscal pour cette année" },
    { "Income needed", "Revenu requis" },
    { "Province needed", "Province requise" },

    /* details */
    { "the request body is empty", "le corps de la requête est vide" },
    { "the request body is not valid UTF-8",
      "le corps de la requête n'est pas de l'UTF-8 valide" },
    { "the body must be a JSON object", "le corps doit être un objet JSON" },
    { "the body must be application/json",
      "le corps doit être de type application/json" },
    { "some fields are missing or invalid",
      "des champs sont manquants ou invalides" },
    { "see the Allow header", "voir l'en-tête Allow" },
    { "an access token is required", "un jeton d'accès est requis" },
    { "use the Bearer scheme", "utilisez le schéma Bearer" },
    { "the access token is not valid", "le jeton d'accès n'est pas valide" },
    { "the session has ended", "la session a pris fin" },
    { "the e-mail or the password is wrong",
      "le courriel ou le mot de passe est erroné" },
    { "an account with this e-mail exists",
      "un compte existe déjà pour ce courriel" },
    { "the refresh token is not valid",
      "le jeton de renouvellement n'est pas valide" },
    { "the current password is wrong", "le mot de passe actuel est erroné" },
    { "no such session", "session introuvable" },
    { "no such device", "appareil introuvable" },
    { "no such insight", "constat introuvable" },
    { "no such recommendation", "recommandation introuvable" },
    { "recommendations read your data under the analytics consent: grant "
      "it with PUT /v1/privacy/consents/analytics",
      "les recommandations lisent vos données sous le consentement "
      "analytics : accordez-le avec PUT /v1/privacy/consents/analytics" },
    { "the assistant reads your data under the analytics consent: grant "
      "it with PUT /v1/privacy/consents/analytics",
      "l'assistant lit vos données sous le consentement analytics : "
      "accordez-le avec PUT /v1/privacy/consents/analytics" },
    { "the challenge is unknown, used, expired or for another device",
      "le défi est inconnu, déjà utilisé, expiré ou destiné à un autre "
      "appareil" },
    { "the signature does not verify", "la signature n'est pas valide" },
    { "too many failed logins: try again later",
      "trop d'échecs de connexion : réessayez plus tard" },
    { "the rate limit is reached: see Retry-After",
      "la limite de débit est atteinte : voir Retry-After" },
    { "the database is unavailable", "la base de données est indisponible" },
    { "the database did not answer in time",
      "la base de données n'a pas répondu à temps" },
    { "the database is overloaded", "la base de données est surchargée" },
    { "the database connection was lost",
      "la connexion à la base de données a été perdue" },
    { "too many requests are being processed",
      "trop de requêtes sont en cours de traitement" },
    { "no such user", "utilisateur introuvable" },
    { "no such purpose", "finalité introuvable" },
    { "the profile changed since it was read: read it again",
      "le profil a changé depuis sa lecture : relisez-le" },
    { "If-Match names no version of the profile",
      "If-Match ne désigne aucune version du profil" },
    { "confirm with your password, or log in with biometrics first "
      "(within 5 minutes)",
      "confirmez avec votre mot de passe, ou connectez-vous d'abord par "
      "biométrie (dans les 5 minutes)" },
    { "this consent is a condition of the account: to withdraw it, delete "
      "the account (DELETE /v1/me)",
      "ce consentement est une condition du compte : pour le retirer, "
      "supprimez le compte (DELETE /v1/me)" },
    { "the key must be 1 to 255 visible ASCII characters",
      "la clé doit compter de 1 à 255 caractères ASCII visibles" },
    { "this key was used for another request: use a new key",
      "cette clé a servi à une autre requête : utilisez-en une nouvelle" },
    { "a request with this key is still being processed: retry shortly",
      "une requête avec cette clé est en cours : réessayez sous peu" },

    { "give income_cents, or add your annual income to your profile",
      "donnez income_cents, ou ajoutez votre revenu annuel à votre profil" },
    { "add your province of residence to your profile or tax profile",
      "ajoutez votre province de résidence à votre profil ou à votre "
      "profil fiscal" },

    /* field errors */
    { "is required", "est requis" },
    { "must be a date (YYYY-MM-DD) within the next year",
      "doit être une date (AAAA-MM-JJ) dans la prochaine année" },
    { "must not be before birth_year",
      "ne doit pas précéder birth_year" },
    { "is required with the other figure of its year",
      "est requis avec l'autre chiffre de son année" },
    { "must be a string", "doit être une chaîne" },
    { "must be an e-mail address", "doit être une adresse courriel" },
    { "must be a UUID", "doit être un UUID" },
    { "must be an integer", "doit être un entier" },
    { "must be an object", "doit être un objet" },
    { "is not a known field", "n'est pas un champ connu" },
    { "is required: a list of purposes", "est requis : une liste de finalités" },
    { "names an unknown purpose", "nomme une finalité inconnue" },
    { "must include terms and privacy_policy",
      "doit inclure terms et privacy_policy" },
    { "must be a base64 P-256 SubjectPublicKeyInfo",
      "doit être une SubjectPublicKeyInfo P-256 en base64" },
    { "must be at least 8 characters long",
      "doit compter au moins 8 caractères" },
    { "must be at most 128 characters long",
      "doit compter au plus 128 caractères" },
    { "must not be the e-mail address",
      "ne doit pas être l'adresse courriel" },
    { "is too common: choose another",
      "est trop courant : choisissez-en un autre" },
    { "must be valid UTF-8", "doit être de l'UTF-8 valide" },
    { "must not be null", "ne doit pas être null" },
    { "must be true or false", "doit être true ou false" },
    { "must be an IANA time zone such as America/Toronto",
      "doit être un fuseau horaire IANA comme America/Toronto" },
    { "is not a time zone the server knows",
      "n'est pas un fuseau horaire connu du serveur" },
    { "is required to change the e-mail",
      "est requis pour changer le courriel" },
    { "is only taken with a new e-mail",
      "n'est accepté qu'avec un nouveau courriel" },
    { "must be between 1 and 100", "doit être entre 1 et 100" },
    { "is not a cursor this list gave",
      "n'est pas un curseur donné par cette liste" },
    { "must be a date (YYYY-MM-DD)", "doit être une date (AAAA-MM-JJ)" },

    /* analytics and goals */
    { "must be 1m, 3m, 1y or all", "doit être 1m, 3m, 1y ou all" },
    { "must be week, month or year", "doit être week, month ou year" },
    { "is not a category (GET /v1/categories lists them)",
      "n'est pas une catégorie (GET /v1/categories les énumère)" },
    { "needs a category", "exige une catégorie" },
    { "category, notes or hidden is required",
      "category, notes ou hidden est requis" },
    { "must not be 0", "ne doit pas être 0" },
    { "name, type, value_cents, currency or notes is required",
      "name, type, value_cents, currency ou notes est requis" },
    { "name, purpose, target_cents or target_date is required",
      "name, purpose, target_cents ou target_date est requis" },
    { "no such rule", "règle introuvable" },
    { "no such manual item", "élément manuel introuvable" },
    { "no such goal", "objectif introuvable" },
    { "no such transaction", "opération introuvable" },
    { "no such notification", "notification introuvable" },
    { "names an unknown category", "nomme une catégorie inconnue" },
    { "must map each category to true or false",
      "doit associer chaque catégorie à true ou false" },
    { "security notices cannot be turned off",
      "les avis de sécurité ne peuvent être désactivés" },
    { "must be {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}",
      "doit être {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}" },
    { "Nothing to match similar ones by",
      "Rien pour reconnaître les opérations semblables" },
    { "the transaction's description has no word without digits to make "
      "a rule of",
      "la description de l'opération n'a aucun mot sans chiffres dont faire "
      "une règle" },
    { "Too many manual items", "Trop d'éléments manuels" },
    { "at most 100 assets and liabilities are kept by hand",
      "au plus 100 actifs et passifs sont tenus à la main" },
    { "No such account", "Compte introuvable" },
    { "account_id names none of your accounts",
      "account_id ne désigne aucun de vos comptes" },
    { "Wrong kind of account", "Mauvais type de compte" },
    { "a savings goal tracks an asset account, a debt payoff goal a credit "
      "card or loan",
      "un objectif d'épargne suit un compte d'actif, un objectif de "
      "remboursement une carte de crédit ou un prêt" },
    { "Goal follows its account", "L'objectif suit son compte" },
    { "this goal's progress is its account's balance; contributions are "
      "not recorded",
      "la progression de cet objectif est le solde de son compte ; les "
      "versements ne sont pas enregistrés" },
    { "Contribution in the future", "Versement dans le futur" },
    { "a contribution's date is today or before",
      "la date d'un versement est aujourd'hui ou avant" },

    /* sync */
    { "Resync required", "Resynchronisation requise" },
    { "changes after this cursor are no longer kept: read everything again "
      "with full=1",
      "les changements après ce curseur ne sont plus conservés : relisez "
      "tout avec full=1" },
    { "must be between 1 and 1000", "doit être entre 1 et 1000" },
    { "must be 0 or 1", "doit être 0 ou 1" },
    { "must be between 1 and 60", "doit être entre 1 et 60" },
    { "is taken with a cursor of the feed",
      "s'emploie avec un curseur du flux" },
    { "must be an array", "doit être un tableau" },
    { "must hold 1 to 500 edits", "doit contenir de 1 à 500 modifications" },
    { "must be 1 to 64 of A-Z a-z 0-9 . _ : -",
      "doit compter de 1 à 64 caractères parmi A-Z a-z 0-9 . _ : -" },
    { "is not an entity the app syncs",
      "n'est pas une entité que l'application synchronise" },
    { "must be a clock like 2026-11-30T14:05:09.123Z-0000-0123456789abcdef",
      "doit être une horloge comme "
      "2026-11-30T14:05:09.123Z-0000-0123456789abcdef" },
    { "must hold at most 64 fields", "doit contenir au plus 64 champs" },
    { "each must be a string of at most 4096 bytes, a number, true, false "
      "or null",
      "chacun doit être une chaîne d'au plus 4096 octets, un nombre, true, "
      "false ou null" },

    { NULL, NULL }
};


const char *
north_i18n_fr(const char *en)
{
    size_t  i;

    if (en == NULL) {
        return NULL;
    }

    for (i = 0; north_i18n_table[i][0]; i++) {
        if (strcmp(north_i18n_table[i][0], en) == 0) {
            return north_i18n_table[i][1];
        }
    }

    return en;
}


int
north_i18n_prefers_fr(const unsigned char *value, size_t len)
{
    size_t  i;

    /* the first language named; q-values are not weighed */
    for (i = 0; i < len && (value[i] == ' ' || value[i] == '\t'); i++) {
        /* void */
    }

    if (len - i < 2
        || (value[i] | 0x20) != 'f' || (value[i + 1] | 0x20) != 'r')
    {
        return 0;
    }

    return len - i == 2 || value[i + 2] == '-' || value[i + 2] == ','
           || value[i + 2] == ';' || value[i + 2] == ' ';
}
