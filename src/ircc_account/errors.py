"""
Every error ``ircc_account`` raises, under one root.

Each error class carries a stable machine code (``storage.conflict``) that
callers, logs and translations can rely on, and a message in English and in
French. Messages are fixed templates filled only with safe parameters (a field
name, a limit, a plugin id): never a secret, a token, or personal data.

The tree is shallow::

    IrccAccountError
    ├── ConfigurationError
    ├── ValidationError (also ValueError)
    │   ├── RequiredField, FieldTooLong, ControlCharacters, InvalidFormat,
    │   │   UnknownValue, OutOfRange
    ├── CryptoError
    │   ├── KeyNotFound, DecryptionFailed, PersonalDataErased
    ├── StorageError
    │   ├── NotFound (also LookupError), Conflict, UnsafeStorageSettings,
    │   │   StorageUnavailable, SchemaOutOfDate (SchemaTooNew), UnitRolledBack
    ├── IdentityError          (login, tokens, sessions, logout)
    │   ├── InvalidCallback, InvalidToken (InvalidLogoutToken),
    │   │   ProviderMetadataInvalid, ProviderUnavailable, StepUpRequired,
    │   │   SessionExpired, RateLimited, LegacyClaimFailed
    ├── ServiceError           (the service registry and its plugins)
    │   ├── ServiceUnavailable (ServiceTimeout, LegacyUnavailable),
    │   │   ServiceManifestInvalid, ServiceBadOutput (also ValueError),
    │   │   ServiceDuplicate, ServiceNotAllowed (also PermissionError)
    ├── AuthorizationError     (also PermissionError: the policy said no)
    ├── DelegationError        (representatives, organisations, grants)
    │   ├── SelfGrant, ScopeNotAllowed, OrganisationCycle, ConsentStale (also
    │   │   ValueError), LicenceInvalid, PaidRepresentativeExists,
    │   │   RequestLapsed, GrantNotChangeable, NotPrincipal (also PermissionError),
    │   │   NotAdministrator, DepartmentOnly, OnboardingRefused (all also
    │   │   PermissionError), InvitationInvalid, GrantTargetUnknown (also
    │   │   ValueError), GrantTooLong (also ValueError), DependantOfAge
    ├── AuditError             (the tamper-evident log)
    │   ├── AuditVerificationFailed, AuditClockSkew (also ValueError),
    │   │   AuditAppenderClosed
    ├── (built-in services: bad input from the department's side, all
    │   ValidationError, so also ValueError) UnknownPhase, EventOutOfOrder,
    │   RequirementAnswered, DueDateInPast, UnknownRequirement; enquiries:
    │   UnknownCategory, ReasonRequired, AnswerTooVague, EnquiryClosed
    │   (ValidationError), EnquiryRefused (AuthorizationError)
    ├── NotificationError      (GC Notify) NotifyTemplateMissing, NotifySendFailed,
    │   NotificationMandatory (also ValueError)
    └── ApplicationError       (the built-in application services)
        ├── AnswersInvalid, UnknownQuestion, DocumentRejected (DocumentTooLarge,
        │   DocumentTypeRefused, DocumentCorrupt, DocumentBomb, PhotoRejected,
        │   DocumentNotExpected, TooManyDocuments) (all also ValueError),
        │   DraftExpired, ApplicationLocked, ApplicationIncomplete,
        │   ApplicationIneligible, SignatureRequired, ReviewOutdated,
        │   PaymentMismatch, DocumentStoreUnavailable

Verification failures say *that* something failed, never *which* check, so an
attacker learns nothing from the message (see
:class:`cryptography.fernet.InvalidToken` for the same choice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

__all__ = [
    "AnswerTooVague",
    "AnswersInvalid",
    "ApplicationError",
    "ApplicationIncomplete",
    "ApplicationIneligible",
    "ApplicationLocked",
    "AuditAppenderClosed",
    "AuditClockSkew",
    "AuditError",
    "AuditVerificationFailed",
    "AuthorizationError",
    "ConfigurationError",
    "Conflict",
    "ConsentStale",
    "ControlCharacters",
    "CryptoError",
    "CsrfRejected",
    "DecryptionFailed",
    "DelegationError",
    "DepartmentOnly",
    "DependantOfAge",
    "DocumentBomb",
    "DocumentCorrupt",
    "DocumentNotExpected",
    "DocumentRejected",
    "DocumentStoreUnavailable",
    "DocumentTooLarge",
    "DocumentTypeRefused",
    "DraftExpired",
    "DueDateInPast",
    "EnquiryClosed",
    "EnquiryRefused",
    "EventOutOfOrder",
    "FieldTooLong",
    "GrantNotChangeable",
    "GrantTargetUnknown",
    "GrantTooLong",
    "IdentityError",
    "InvalidCallback",
    "InvalidFormat",
    "InvalidLogoutToken",
    "InvalidToken",
    "InvitationInvalid",
    "IrccAccountError",
    "KeyNotFound",
    "LegacyClaimFailed",
    "LegacyUnavailable",
    "LicenceInvalid",
    "NotAdministrator",
    "NotFound",
    "NotPrincipal",
    "NotificationError",
    "NotificationMandatory",
    "NotifySendFailed",
    "NotifyTemplateMissing",
    "OnboardingRefused",
    "OrganisationCycle",
    "OutOfRange",
    "PaidRepresentativeExists",
    "PaymentMismatch",
    "PersonalDataErased",
    "PhotoRejected",
    "ProviderMetadataInvalid",
    "ProviderUnavailable",
    "RateLimited",
    "ReasonRequired",
    "RequestLapsed",
    "RequiredField",
    "RequirementAnswered",
    "ReviewOutdated",
    "SchemaOutOfDate",
    "SchemaTooNew",
    "ScopeNotAllowed",
    "SelfGrant",
    "ServiceBadOutput",
    "ServiceDuplicate",
    "ServiceError",
    "ServiceManifestInvalid",
    "ServiceNotAllowed",
    "ServiceTimeout",
    "ServiceUnavailable",
    "SessionExpired",
    "SignatureRequired",
    "StepUpRequired",
    "StorageError",
    "StorageUnavailable",
    "TooManyDocuments",
    "UnitRolledBack",
    "UnknownCategory",
    "UnknownPhase",
    "UnknownQuestion",
    "UnknownRequirement",
    "UnknownValue",
    "UnsafeStorageSettings",
    "ValidationError",
]

Language = Literal["en", "fr"]
SafeParam = str | int


class IrccAccountError(Exception):
    """
    The root of every error this library raises.

    Attributes:
        code: A stable machine code, ``area.reason``; part of the public API.
        message_en: The English message template.
        message_fr: The French message template.
        params: Safe values (field names, limits, ids) the templates use.
            Never secrets, tokens or personal data.
    """

    code: ClassVar[str] = "error"
    message_en: ClassVar[str] = "Something went wrong."
    message_fr: ClassVar[str] = "Une erreur s'est produite."

    def __init__(self, **params: SafeParam) -> None:
        self.params: Mapping[str, SafeParam] = dict(params)
        super().__init__(self.message("en"))

    def message(self, language: Language = "en") -> str:
        """
        The message in *language* (``"en"`` or ``"fr"``), with its parameters.
        """
        template = self.message_fr if language == "fr" else self.message_en
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            # A missing parameter must never turn an error into another error.
            return template

    def __str__(self) -> str:
        return f"[{self.code}] {self.message('en')}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, params={dict(self.params)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (plugin workers, crash-test children).
        return (_rebuild, (type(self), dict(self.params)))


def _rebuild(cls: type[IrccAccountError], params: dict[str, SafeParam]) -> IrccAccountError:
    return cls(**params)


# --- configuration ---------------------------------------------------------


class ConfigurationError(IrccAccountError):
    """The library was set up wrongly (a missing key, an unsafe option)."""

    code = "config.invalid"
    message_en = "The configuration is invalid: {reason}."
    message_fr = "La configuration n'est pas valide : {reason}."


# --- validation ------------------------------------------------------------


class ValidationError(IrccAccountError, ValueError):
    """
    A value failed validation. ``params["field"]`` names the field.
    """

    code = "validation.invalid"
    message_en = "The value of {field} is not valid."
    message_fr = "La valeur du champ {field} n'est pas valide."


class RequiredField(ValidationError):
    """A required value is missing or empty."""

    code = "validation.required"
    message_en = "{field} is required."
    message_fr = "Le champ {field} est obligatoire."


class FieldTooLong(ValidationError):
    """A value is longer than its limit."""

    code = "validation.too_long"
    message_en = "{field} is longer than {limit} characters."
    message_fr = "Le champ {field} dépasse {limit} caractères."


class ControlCharacters(ValidationError):
    """A text value holds control characters (line breaks where none belong, escapes)."""

    code = "validation.control_characters"
    message_en = "{field} contains characters that are not allowed."
    message_fr = "Le champ {field} contient des caractères non permis."


class InvalidFormat(ValidationError):
    """A value does not have the expected shape (a UCI, a date, an email address)."""

    code = "validation.format"
    message_en = "{field} is not in the expected format."
    message_fr = "Le champ {field} n'est pas dans le format attendu."


class UnknownValue(ValidationError):
    """A value is not one of the allowed choices."""

    code = "validation.unknown_value"
    message_en = "{field} is not one of the allowed values."
    message_fr = "Le champ {field} n'est pas l'une des valeurs permises."


class OutOfRange(ValidationError):
    """A value lies outside its allowed range (a date in the future, an end before a start)."""

    code = "validation.out_of_range"
    message_en = "{field} is outside the allowed range."
    message_fr = "Le champ {field} est hors de la plage permise."


# --- cryptography ----------------------------------------------------------


class CryptoError(IrccAccountError):
    """Encryption, decryption or key handling failed."""

    code = "crypto.error"
    message_en = "A cryptographic operation failed."
    message_fr = "Une opération cryptographique a échoué."


class KeyNotFound(CryptoError):
    """The key a record names is not in the keyring."""

    code = "crypto.key_not_found"
    message_en = "The key {key_id} is not available."
    message_fr = "La clé {key_id} n'est pas disponible."


class DecryptionFailed(CryptoError):
    """
    A ciphertext did not decrypt: wrong key, altered bytes, or moved to another record.

    The message deliberately does not say which.
    """

    code = "crypto.decryption_failed"
    message_en = "The protected data could not be read."
    message_fr = "Les données protégées n'ont pas pu être lues."


class PersonalDataErased(CryptoError):
    """The account's data key was destroyed (crypto-shredding): its personal data is gone."""

    code = "crypto.data_erased"
    message_en = "This personal data has been permanently erased."
    message_fr = "Ces renseignements personnels ont été effacés de façon permanente."


# --- storage ---------------------------------------------------------------


class StorageError(IrccAccountError):
    """The store failed or refused an operation."""

    code = "storage.error"
    message_en = "The data store could not complete the operation."
    message_fr = "Le magasin de données n'a pas pu terminer l'opération."


class NotFound(StorageError, LookupError):
    """The record does not exist (or the caller may not know that it does)."""

    code = "storage.not_found"
    message_en = "The {kind} was not found."
    message_fr = "L'élément demandé ({kind}) est introuvable."


class Conflict(StorageError):
    """The write clashes with existing data (a duplicate key, a concurrent change)."""

    code = "storage.conflict"
    message_en = "The {kind} conflicts with existing data."
    message_fr = "L'élément ({kind}) entre en conflit avec des données existantes."


class UnsafeStorageSettings(StorageError):
    """The database runs with settings that could lose acknowledged writes."""

    code = "storage.unsafe_settings"
    message_en = "The database setting {setting} is unsafe; refusing to start."
    message_fr = "Le paramètre {setting} de la base de données n'est pas sûr; démarrage refusé."


class StorageUnavailable(StorageError):
    """The database could not be reached or stayed busy past the timeout."""

    code = "storage.unavailable"
    message_en = "The data store is unavailable. Try again later."
    message_fr = "Le magasin de données n'est pas disponible. Réessayez plus tard."


class SchemaOutOfDate(StorageError):
    """The database schema is not at the version this library needs."""

    code = "storage.schema_out_of_date"
    message_en = "The database schema is out of date; run the migrations."
    message_fr = "Le schéma de la base de données n'est pas à jour; exécutez les migrations."


class SchemaTooNew(SchemaOutOfDate):
    """
    The database schema has migrations this version of the library does not
    know: it was upgraded by a newer release. Running the migrations cannot help.
    """

    code = "storage.schema_too_new"
    message_en = "The database schema is newer than this version of ircc_account; upgrade it."
    message_fr = (
        "Le schéma de la base de données est plus récent que cette version "
        "d'ircc_account; mettez-la à jour."
    )


class UnitRolledBack(StorageError):
    """
    ``commit()`` on a unit of work that was already rolled back (for example
    because an audit write in it failed: the unit fails closed).
    """

    code = "storage.rolled_back"
    message_en = "The change was not saved because part of it failed."
    message_fr = "La modification n'a pas été enregistrée, car une partie a échoué."


# --- identity --------------------------------------------------------------


class IdentityError(IrccAccountError):
    """
    Login, token validation, sessions or logout failed.

    The message stays generic for the person signing in; :attr:`reason` tells
    the operator which check refused (see ``docs/identity.md``, "Diagnosis").
    """

    code = "login.failed"
    message_en = "Sign-in could not be completed. Please start again."
    message_fr = "La connexion n'a pas pu être effectuée. Veuillez recommencer."

    @property
    def reason(self) -> str | None:
        """
        The stable, non-secret reason code of the check that refused
        (``"signature"``, ``"iss.mismatch"``, ``"state.unknown"``), or ``None``.

        Never shown in the message; logged once at WARNING on the
        ``ircc_account.identity`` logger and kept in the audit entry.
        """
        reason = self.__dict__.get("_reason")
        return reason if isinstance(reason, str) else None


class InvalidCallback(IdentityError):
    """
    An authorization response was malformed, replayed, or did not belong to this session.

    The message never says which check failed.
    """

    code = "login.invalid_callback"


class InvalidToken(IdentityError):
    """
    A token (ID token, logout token, delegation token, any JWS) failed validation.

    The message never says which check failed.
    """

    code = "token.invalid"
    message_en = "The security token could not be accepted."
    message_fr = "Le jeton de sécurité n'a pas pu être accepté."


class InvalidLogoutToken(InvalidToken):
    """A back-channel logout token failed validation."""

    code = "logout.invalid_token"


class ProviderMetadataInvalid(IdentityError):
    """A provider's discovery document or key set was malformed or inconsistent."""

    code = "login.provider_metadata"
    message_en = "The sign-in partner {provider} is misconfigured."
    message_fr = "Le partenaire de connexion {provider} est mal configuré."


class ProviderUnavailable(IdentityError):
    """A provider could not be reached, or answered with an error."""

    code = "login.provider_unavailable"
    message_en = "The sign-in partner {provider} is not available right now."
    message_fr = "Le partenaire de connexion {provider} n'est pas disponible pour le moment."


class StepUpRequired(IdentityError):
    """The session's assurance is below what the action needs: log in again, more strongly."""

    code = "login.step_up_required"
    message_en = "Please sign in again to continue."
    message_fr = "Veuillez vous connecter de nouveau pour continuer."


class SessionExpired(IdentityError):
    """The session ended: logged out, timed out, or revoked."""

    code = "session.expired"
    message_en = "Your session has ended. Please sign in again."
    message_fr = "Votre session a pris fin. Veuillez vous connecter de nouveau."


class RateLimited(IdentityError):
    """Too many attempts in a short time."""

    code = "login.rate_limited"
    message_en = "Too many attempts. Please wait and try again."
    message_fr = "Trop de tentatives. Veuillez patienter et réessayer."


class LegacyClaimFailed(IdentityError):
    """A legacy file could not be claimed with the details given."""

    code = "login.claim_failed"
    message_en = "We could not match those details to a file."
    message_fr = "Nous n'avons pas pu associer ces renseignements à un dossier."


class CsrfRejected(IdentityError):
    """
    A state-changing request failed the CSRF checks (SEC-41): token, Origin or Sec-Fetch-Site.

    The message never says which check failed.
    """

    code = "session.csrf"
    message_en = "This request could not be verified. Please reload the page and try again."
    message_fr = "Cette demande n'a pas pu être vérifiée. Veuillez recharger la page et réessayer."


# --- services --------------------------------------------------------------


class ServiceError(IrccAccountError):
    """The service registry or one of its plugins failed."""

    code = "service.error"
    message_en = "The service {service_id} is not available right now."
    message_fr = "Le service {service_id} n'est pas disponible pour le moment."


class ServiceUnavailable(ServiceError):
    """A service plugin failed, hung or is degraded: its tile says so, others are intact."""

    code = "service.unavailable"


class ServiceTimeout(ServiceUnavailable):
    """A service plugin did not answer before its deadline (its thread is abandoned)."""

    code = "service.timeout"


class LegacyUnavailable(ServiceUnavailable):
    """The legacy system a service wraps is down, slow, or answered with garbage."""

    code = "service.legacy_unavailable"


class ServiceManifestInvalid(ServiceError, ValueError):
    """A plugin's manifest or hooks were refused at registration (a missing language, say)."""

    code = "service.manifest_invalid"
    message_en = "The service plugin {service_id} was refused: {reason}."
    message_fr = "Le module de service {service_id} a été refusé : {reason}."


class ServiceBadOutput(ServiceError, ValueError):
    """A plugin returned data the registry refused (wrong type, oversized, duplicate ids)."""

    code = "service.bad_output"
    message_en = "The service {service_id} returned data that was refused: {reason}."
    message_fr = "Le service {service_id} a renvoyé des données refusées : {reason}."


class ServiceDuplicate(ServiceError):
    """Two plugins claim the same service id (entry-point name)."""

    code = "service.duplicate"
    message_en = "The service id {service_id} is registered twice."
    message_fr = "L'identifiant de service {service_id} est enregistré deux fois."


class ServiceNotAllowed(ServiceError, PermissionError):
    """
    A plugin is not on the allowlist or is blocked, the registry is already
    started, or an action was not offered to this actor.
    """

    code = "service.not_allowed"
    message_en = "The service {service_id} may not do this."
    message_fr = "Le service {service_id} n'est pas autorisé à faire ceci."


# --- authorization and delegation ------------------------------------------


class AuthorizationError(IrccAccountError, PermissionError):
    """The authorization policy denied the request."""

    code = "authz.denied"
    message_en = "You are not allowed to do this."
    message_fr = "Vous n'êtes pas autorisé à faire ceci."


class DelegationError(IrccAccountError):
    """A representative, organisation or consent grant operation was refused."""

    code = "delegation.invalid"
    message_en = "This delegation request is not valid."
    message_fr = "Cette demande de délégation n'est pas valide."


class SelfGrant(DelegationError, ValueError):
    """A client tried to grant access to themselves (or to a representative who is them)."""

    code = "delegation.self_grant"
    message_en = "You cannot appoint yourself as your own representative."
    message_fr = "Vous ne pouvez pas vous désigner comme votre propre représentant."


class ScopeNotAllowed(DelegationError, ValueError):
    """The grant asks for a scope this kind of representative may never hold (SEC-52)."""

    code = "delegation.scope_not_allowed"
    message_en = "This representative cannot be given the access requested."
    message_fr = "Ce représentant ne peut pas recevoir l'accès demandé."


class OrganisationCycle(DelegationError, ValueError):
    """An organisation's parent would make it its own ancestor."""

    code = "delegation.cycle"
    message_en = "An organisation cannot belong to itself."
    message_fr = "Une organisation ne peut pas faire partie d'elle-même."


class LicenceInvalid(DelegationError):
    """A paid representative's licence is unverified, expired or revoked (SEC-54)."""

    code = "delegation.licence_invalid"
    message_en = "The representative's licence could not be confirmed."
    message_fr = "Le permis du représentant n'a pas pu être confirmé."


class PaidRepresentativeExists(DelegationError):
    """Another paid representative already holds a grant on this application (SEC-54)."""

    code = "delegation.paid_representative_exists"
    message_en = "Another paid representative already represents you for this."
    message_fr = "Un autre représentant rémunéré vous représente déjà pour ceci."


class ConsentStale(DelegationError, ValueError):
    """A written consent form is dated more than 90 days back, or in the future (SEC-55)."""

    code = "delegation.consent_stale"
    message_en = "The consent form must be dated within the last {days} days."
    message_fr = "Le formulaire de consentement doit être daté des {days} derniers jours."


class RequestLapsed(DelegationError):
    """A representative's request was not accepted in time and has lapsed (SEC-53)."""

    code = "delegation.request_lapsed"
    message_en = "This request has expired. Ask the representative to send a new one."
    message_fr = "Cette demande a expiré. Demandez au représentant d'en envoyer une nouvelle."


class GrantNotChangeable(DelegationError):
    """The grant is not in a state that allows this (accepting a revoked grant, say)."""

    code = "delegation.grant_state"
    message_en = "This authorization can no longer be changed."
    message_fr = "Cette autorisation ne peut plus être modifiée."


class NotPrincipal(DelegationError, PermissionError):
    """
    Only the client may do this, in their own session: a delegate cannot create,
    accept, extend, widen or edit grants (SEC-53, SEC-57).
    """

    code = "delegation.not_principal"
    message_en = "Only the client can do this, from their own account."
    message_fr = "Seul le client peut faire ceci, à partir de son propre compte."


class NotAdministrator(DelegationError, PermissionError):
    """Only a current administrator of the organisation (or one above it) may do this."""

    code = "delegation.not_administrator"
    message_en = "Only an administrator of this office or firm can do this."
    message_fr = "Seul un administrateur de ce bureau ou de ce cabinet peut faire ceci."


class DepartmentOnly(DelegationError, PermissionError):
    """Only the department (a department officer) may do this, such as registering an office."""

    code = "delegation.department_only"
    message_en = "Only the department can do this."
    message_fr = "Seul le ministère peut faire ceci."


class OnboardingRefused(DelegationError, PermissionError):
    """
    This person cannot become this kind of representative this way: MP and
    Senator office staff join their office by invitation, and a firm's
    members must already be licensed representatives.
    """

    code = "delegation.onboarding_refused"
    message_en = (
        "You cannot register as this kind of representative here. Office staff join "
        "their office with an invitation from its administrator."
    )
    message_fr = (
        "Vous ne pouvez pas vous inscrire ici comme ce type de représentant. Le personnel "
        "d'un bureau s'y joint avec une invitation de son administrateur."
    )


class InvitationInvalid(DelegationError):
    """An invitation code is unknown, already used, or expired (which, is not said)."""

    code = "delegation.invitation_invalid"
    message_en = "This invitation is not valid. Ask the office's administrator for a new one."
    message_fr = (
        "Cette invitation n'est pas valide. Demandez-en une nouvelle à l'administrateur du bureau."
    )


class GrantTargetUnknown(DelegationError, ValueError):
    """
    A grant names an item that is not the client's (another client's, or
    none at all: the two look the same, SEC-50) or a service that is not
    offered. Nothing is written.
    """

    code = "delegation.unknown_target"
    message_en = "The application or service this authorization names was not found."
    message_fr = "La demande ou le service visé par cette autorisation est introuvable."


class GrantTooLong(DelegationError, ValueError):
    """
    The grant would last longer than allowed: a representative who has only
    signed in with a basic-assurance credential may be authorized for at
    most 12 months at a time (SEC-55, after RAM's Basic users).
    """

    code = "delegation.grant_too_long"
    message_en = (
        "This representative can be authorized for at most {months} months at a time. "
        "Choose an earlier end date."
    )
    message_fr = (
        "Ce représentant peut être autorisé pour au plus {months} mois à la fois. "
        "Choisissez une date de fin plus proche."
    )


class DependantOfAge(DelegationError):
    """
    A guardian's appointment for a dependant would reach the dependant's 18th
    birthday or later: a dependant aged 18 or over appoints their
    representative themself (SEC-54).
    """

    code = "delegation.dependant_of_age"
    message_en = (
        "A dependant aged 18 or over must appoint their representative from their own account."
    )
    message_fr = (
        "Une personne à charge de 18 ans ou plus doit désigner elle-même son représentant, "
        "à partir de son propre compte."
    )


# --- audit -----------------------------------------------------------------


class AuditError(IrccAccountError):
    """The audit log refused an entry or failed verification."""

    code = "audit.error"
    message_en = "The audit log could not complete the operation."
    message_fr = "Le journal d'audit n'a pas pu terminer l'opération."


class AuditVerificationFailed(AuditError):
    """
    The audit log or an export failed verification: an entry or checkpoint was
    altered, removed, reordered, inserted or truncated. The report says where.
    """

    code = "audit.verification_failed"
    message_en = "The audit log failed verification."
    message_fr = "La vérification du journal d'audit a échoué."


class AuditClockSkew(AuditError, ValueError):
    """An entry is dated before its partition's head (the clock went backwards) or in the future."""

    code = "audit.clock_skew"
    message_en = "The audit entry's time is out of order."
    message_fr = "L'heure de l'entrée d'audit n'est pas dans l'ordre."


class AuditAppenderClosed(AuditError):
    """The group-commit appender is closed (or its writer died); the entry was not written."""

    code = "audit.appender_closed"
    message_en = "The audit writer is not accepting entries."
    message_fr = "Le rédacteur du journal d'audit n'accepte pas d'entrées."


# --- built-in services -----------------------------------------------------
# Bad input from the department's side of the status tracker and decision
# notes (an officer's desk, a legacy feed): nothing is written when one is raised.


class UnknownPhase(ValidationError):
    """A phase that is not one of the status tracker's (``params["field"]`` names the field)."""

    code = "status.unknown_phase"
    message_en = "{field} is not a known processing phase."
    message_fr = "Le champ {field} n'est pas une étape de traitement connue."


class EventOutOfOrder(ValidationError):
    """
    An event's date is out of order: before the last event already recorded
    for the item, or in the future.
    """

    code = "status.out_of_order"
    message_en = (
        "This event's date is out of order: it is before the last event already recorded "
        "for the application, or in the future."
    )
    message_fr = (
        "La date de cet événement est hors d'ordre : elle précède le dernier événement déjà "
        "inscrit pour la demande, ou elle est dans le futur."
    )


class RequirementAnswered(ValidationError):
    """A requirement already answered (received, accepted or rejected) is answered again."""

    code = "status.already_answered"
    message_en = "This request was already answered."
    message_fr = "Cette demande a déjà reçu une réponse."


class DueDateInPast(ValidationError):
    """A requirement whose due date is not after the day it is asked (today, unless dated)."""

    code = "status.due_in_past"
    message_en = "The due date must be after the day the request is made."
    message_fr = "La date d'échéance doit être postérieure au jour où la demande est faite."


class UnknownRequirement(ValidationError):
    """
    A requirement or wait the application does not have: named by a
    response, a review, a decision note's reason, or the end of a wait
    (``params["field"]`` is ``requirement`` or ``wait``).
    """

    code = "notes.unknown_requirement"
    message_en = "The application has no requirement or wait by that identifier."
    message_fr = "La demande ne comporte aucune exigence ni attente portant cet identifiant."


# --- applications (the built-in TRV and passport renewal services) ------------


class ApplicationError(IrccAccountError):
    """An application service refused an operation on a draft or an application."""

    code = "applications.error"
    message_en = "The application could not be updated."
    message_fr = "La demande n'a pas pu être mise à jour."


class AnswersInvalid(ApplicationError, ValueError):
    """
    One or more answers failed their rules; nothing was saved. ``problems``
    lists each one (question, rule code, and the rule's own bilingual
    message, which is the model's data and never echoes the answer).
    """

    code = "applications.answers_invalid"
    message_en = "{count} answer(s) need correcting, starting with {field}. Nothing was saved."
    message_fr = "{count} réponse(s) à corriger, à commencer par {field}. Rien n'a été enregistré."

    def __init__(self, *, problems: Sequence[Any] = (), **params: SafeParam) -> None:
        self.problems: tuple[Any, ...] = tuple(problems)
        super().__init__(**params)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), dict(self.params)))


class UnknownQuestion(ApplicationError, ValueError):
    """An answer names a question the form does not have; nothing was saved."""

    code = "applications.unknown_question"
    message_en = "The form has no question {field}. Nothing was saved."
    message_fr = "Le formulaire n'a pas de question {field}. Rien n'a été enregistré."


class DraftExpired(ApplicationError):
    """The draft was not changed for longer than the retention period and is erased."""

    code = "applications.draft_expired"
    message_en = (
        "This draft was not saved for more than {days} days and has been deleted. "
        "Start a new application."
    )
    message_fr = (
        "Cette ébauche n'a pas été enregistrée depuis plus de {days} jours et a été supprimée. "
        "Commencez une nouvelle demande."
    )


class ApplicationLocked(ApplicationError):
    """The application was submitted (or signed and awaiting submission) and cannot change."""

    code = "applications.locked"
    message_en = "This application was submitted and can no longer be changed."
    message_fr = "Cette demande a été soumise et ne peut plus être modifiée."


class ApplicationIncomplete(ApplicationError):
    """Required answers or documents are missing; ``params["missing"]`` says how many."""

    code = "applications.incomplete"
    message_en = "The application is not complete: {missing} answer(s) or document(s) are missing."
    message_fr = "La demande n'est pas complète : {missing} réponse(s) ou document(s) manquent."


class ApplicationIneligible(ApplicationError):
    """
    An answer makes the applicant ineligible for this service;
    ``params["reason"]`` names the rule.
    """

    code = "applications.ineligible"
    message_en = "You cannot use this service ({reason}). The page says what to do instead."
    message_fr = (
        "Vous ne pouvez pas utiliser ce service ({reason}). La page indique quoi faire à la place."
    )


class SignatureRequired(ApplicationError, PermissionError):
    """
    Only the client signs their application, in their own account; and an
    application is submitted only with the client's valid signature over
    exactly what is submitted.
    """

    code = "applications.signature_required"
    message_en = "The client must review and sign this application in their own account first."
    message_fr = "Le client doit d'abord examiner et signer cette demande dans son propre compte."


class ReviewOutdated(ApplicationError):
    """The application changed after the client reviewed it; review it again before signing."""

    code = "applications.review_outdated"
    message_en = "The application changed since you reviewed it. Review it again, then sign."
    message_fr = "La demande a changé depuis votre examen. Examinez-la de nouveau, puis signez-la."


class PaymentMismatch(ApplicationError, ValueError):
    """The payment confirmed is not the amount of the fees shown."""

    code = "applications.payment_mismatch"
    message_en = "The payment does not match the fees of {total} cents. Nothing was submitted."
    message_fr = "Le paiement ne correspond pas aux frais de {total} cents. Rien n'a été soumis."


class DocumentStoreUnavailable(ApplicationError):
    """The document store (a folder or object storage) could not be reached; nothing was changed."""

    code = "applications.store_unavailable"
    message_en = "Documents cannot be stored or read right now. Try again later."
    message_fr = (
        "Les documents ne peuvent pas être enregistrés ni lus pour le moment. Réessayez plus tard."
    )


class DocumentRejected(ApplicationError, ValueError):
    """An uploaded file was refused before anything was stored."""

    code = "applications.document_rejected"
    message_en = "This file cannot be accepted. Nothing was stored."
    message_fr = "Ce fichier ne peut pas être accepté. Rien n'a été enregistré."


class DocumentTooLarge(DocumentRejected):
    """An uploaded file is over the size limit (or empty)."""

    code = "applications.document_too_large"
    message_en = "The file must be between 1 byte and {limit} bytes. Nothing was stored."
    message_fr = "Le fichier doit faire entre 1 octet et {limit} octets. Rien n'a été enregistré."


class DocumentTypeRefused(DocumentRejected):
    """The file's content (sniffed, not its name) is not an accepted type."""

    code = "applications.document_type"
    message_en = "This kind of file is not accepted here; send {accepted}. Nothing was stored."
    message_fr = (
        "Ce type de fichier n'est pas accepté ici; envoyez {accepted}. Rien n'a été enregistré."
    )


class DocumentCorrupt(DocumentRejected):
    """The file is damaged or truncated: it does not decode as what it claims to be."""

    code = "applications.document_corrupt"
    message_en = (
        "The file is damaged or incomplete. Save it again and upload it. Nothing was stored."
    )
    message_fr = (
        "Le fichier est endommagé ou incomplet. Enregistrez-le de nouveau et téléversez-le. "
        "Rien n'a été enregistré."
    )


class DocumentBomb(DocumentRejected):
    """An image declares more pixels than allowed (a decompression bomb); it was never decoded."""

    code = "applications.document_bomb"
    message_en = "The image is too large (more than {limit} pixels). Nothing was stored."
    message_fr = "L'image est trop grande (plus de {limit} pixels). Rien n'a été enregistré."


class PhotoRejected(DocumentRejected):
    """
    A photo failed one of the published photo requirements: ``params["check"]``
    names it, ``requirement_en`` and ``requirement_fr`` say what is required
    (the requirement's own text, from the service's data).
    """

    code = "applications.photo_rejected"
    message_en = "The photo cannot be used: {requirement_en} Nothing was stored."
    message_fr = "La photo ne peut pas être utilisée : {requirement_fr} Rien n'a été enregistré."


class DocumentNotExpected(DocumentRejected):
    """The document is not on this application's checklist for its current answers."""

    code = "applications.document_not_expected"
    message_en = "This application does not ask for the document {field}. Nothing was stored."
    message_fr = "Cette demande ne requiert pas le document {field}. Rien n'a été enregistré."


class TooManyDocuments(DocumentRejected):
    """The checklist entry already holds as many files as it may."""

    code = "applications.too_many_documents"
    message_en = "At most {limit} files can be added here. Remove one first. Nothing was stored."
    message_fr = (
        "Au plus {limit} fichiers peuvent être ajoutés ici. Retirez-en un d'abord. "
        "Rien n'a été enregistré."
    )


# --- enquiries ---------------------------------------------------------------
# The built-in enquiries and urgent escalation service.


class EnquiryRefused(AuthorizationError):
    """
    An enquiry on an item the filer may not enquire about: another client's
    item, an item that does not exist, or one outside the filer's grant all
    answer alike, so the answer tells nothing about other clients' files.
    """

    code = "enquiries.refused"
    message_en = (
        "You cannot file an enquiry about this application: it is not one you may ask "
        "about. Nothing was filed."
    )
    message_fr = (
        "Vous ne pouvez pas présenter de demande de renseignements sur cette demande : "
        "elle ne fait pas partie de celles sur lesquelles vous pouvez vous renseigner. "
        "Rien n'a été présenté."
    )


class UnknownCategory(ValidationError):
    """An urgent request names a category that does not exist."""

    code = "enquiries.unknown_category"
    message_en = "This is not a category of urgent processing. Nothing was filed."
    message_fr = "Ce n'est pas une catégorie de traitement urgent. Rien n'a été présenté."


class ReasonRequired(ValidationError):
    """A decision on an urgent request needs its reason, in English and French."""

    code = "enquiries.reason_required"
    message_en = "A decision needs its reason, in English and in French. Nothing was recorded."
    message_fr = (
        "Une décision doit être motivée, en anglais et en français. Rien n'a été enregistré."
    )


class AnswerTooVague(ValidationError):
    """
    An answer must say where the application stands, what is being done
    and what the client must do: "in process" alone is refused.
    """

    code = "enquiries.answer_too_vague"
    message_en = (
        "An answer must say what is being done and what the client must do, not only that "
        "the application is in process ({field}). Nothing was recorded."
    )
    message_fr = (
        "Une réponse doit dire ce qui est fait et ce que le client doit faire, pas seulement "
        "que la demande est en traitement ({field}). Rien n'a été enregistré."
    )


class EnquiryClosed(ValidationError):
    """
    The enquiry is not waiting for this: it was already answered or decided,
    an answer was given to an urgent request (it is decided instead), or no
    more information was asked for.
    """

    code = "enquiries.closed"
    message_en = "This enquiry is not waiting for this. Nothing was recorded."
    message_fr = "Cette demande de renseignements n'attend pas ceci. Rien n'a été enregistré."


# --- notifications ---------------------------------------------------------


class NotificationError(IrccAccountError):
    """Notifications through GC Notify (``ircc_account.builtin.notify``)."""

    code = "notifications.error"
    message_en = "The notification could not be handled."
    message_fr = "La notification n'a pas pu être traitée."


class NotifyTemplateMissing(NotificationError):
    """
    A notification kind has no GC Notify template in one language (found at
    start-up): ``params["kind"]`` and ``params["language"]`` say which.
    """

    code = "notifications.template_missing"
    message_en = (
        "The GC Notify template for the notification {kind} in language {language} is missing."
    )
    message_fr = (
        "Le gabarit GC Notify de la notification {kind} dans la langue {language} est manquant."
    )


class NotifySendFailed(NotificationError):
    """
    GC Notify did not take a message: ``params["status"]`` is the HTTP status
    (0 when it could not be reached). Carries no response body, which can
    echo the recipient's address.
    """

    code = "notifications.send_failed"
    message_en = "GC Notify did not accept the message (status {status})."
    message_fr = "GC Notify n'a pas accepté le message (statut {status})."


class NotificationMandatory(NotificationError, ValueError):
    """
    A client tried to switch off a security notice (who may act for them):
    ``params["kind"]`` names it; nothing was changed.
    """

    code = "notifications.mandatory"
    message_en = (
        "The notice {kind} tells you who can act for you and cannot be turned off. "
        "Nothing was changed."
    )
    message_fr = (
        "L'avis {kind} vous dit qui peut agir pour vous et ne peut pas être désactivé. "
        "Rien n'a été modifié."
    )
