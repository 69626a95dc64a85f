"""
Which HTTP status each of the library's errors is shown with.

The page shows the error's own message in the person's language (every
error class has one in English and French, and it never carries a secret).
"""

from __future__ import annotations

from ircc_account.errors import (
    ApplicationError,
    ApplicationLocked,
    AuditError,
    AuthorizationError,
    Conflict,
    CsrfRejected,
    DelegationError,
    DepartmentOnly,
    DocumentRejected,
    DocumentStoreUnavailable,
    DocumentTooLarge,
    DocumentTypeRefused,
    DraftExpired,
    GrantNotChangeable,
    IdentityError,
    IrccAccountError,
    NotAdministrator,
    NotFound,
    NotificationMandatory,
    NotifySendFailed,
    NotPrincipal,
    OnboardingRefused,
    PaidRepresentativeExists,
    ProviderMetadataInvalid,
    ProviderUnavailable,
    RateLimited,
    RequestLapsed,
    ReviewOutdated,
    ServiceError,
    ServiceNotAllowed,
    ServiceUnavailable,
    SessionExpired,
    SignatureRequired,
    StepUpRequired,
    StorageError,
    StorageUnavailable,
    ValidationError,
)

__all__ = ["status_for"]

# Most specific first: the first class an error is an instance of decides.
_STATUS: tuple[tuple[type[IrccAccountError], int], ...] = (
    (SessionExpired, 401),
    (StepUpRequired, 401),
    (CsrfRejected, 403),
    (RateLimited, 429),
    (ProviderUnavailable, 503),
    (ProviderMetadataInvalid, 503),
    (IdentityError, 400),
    (NotFound, 404),
    (Conflict, 409),
    (StorageUnavailable, 503),
    (AuthorizationError, 403),
    (ServiceNotAllowed, 403),
    (ServiceUnavailable, 503),
    (ServiceError, 503),
    (NotPrincipal, 403),
    (NotAdministrator, 403),
    (DepartmentOnly, 403),
    (OnboardingRefused, 403),
    (GrantNotChangeable, 409),
    (PaidRepresentativeExists, 409),
    (RequestLapsed, 410),
    (DelegationError, 400),
    (ValidationError, 400),
    (AuditError, 503),
    # The application engine's (built-in application services).
    (DocumentTooLarge, 413),
    (DocumentTypeRefused, 415),
    (DocumentRejected, 422),
    (DocumentStoreUnavailable, 503),
    (DraftExpired, 410),
    (ApplicationLocked, 409),
    (ReviewOutdated, 409),
    (SignatureRequired, 403),
    (ApplicationError, 400),
    # A schema to upgrade or unsafe settings: the database is not usable yet.
    (StorageError, 503),
    # Notifications: a security notice cannot be switched off; GC Notify is down.
    (NotificationMandatory, 400),
    (NotifySendFailed, 503),
)


def status_for(error: IrccAccountError) -> int:
    """
    The HTTP status to answer *error* with: 4xx for what the person can
    change or may not do, 503 for what is down, 500 for the rest.
    """
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500
