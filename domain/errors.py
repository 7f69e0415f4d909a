"""The one exception tree of the project.

    DomainError                      entry points: 500 (a bug: never shown as a trace)
    ├── NotFound                     404  an account, bill, case or offer that does not exist
    ├── InvalidInput                 422  input that can never be valid (malformed id, bad amount)
    ├── VerificationRequired         401  account data asked for before identity was verified
    ├── NotAuthenticated             401  no, a wrong or an expired staff credential
    ├── TooManyAttempts              429  sign-in attempts over the rate limit (retry later)
    ├── NotPermitted                 403  the actor may not do this
    │   └── ApprovalLimitExceeded    403  ... above the staff member's approval limit
    ├── Conflict                     409  the request collides with what is already recorded
    │   ├── IdempotencyConflict      409  same idempotency key, different request
    │   ├── AlreadyDecided           409  a decision on something already decided
    │   └── FactsChanged             409  the facts moved between an offer and its acceptance
    └── ExternalSystemError          503  a system outside the domain (BSS, LLM, database) failed
        ├── ExternalTimeout          503  ... by not answering in time (it may have acted!)
        ├── ExternalRefused          503  ... by refusing the request (it did not act)
        ├── ExternalProtocolError    503  ... by answering outside its contract (bad money, body)
        └── StorageUnavailable       503  our own database is locked, gone or failing

Adapters translate vendor errors (SQLAlchemy, httpx, openai) into this tree; entry points map it
to a bot reply (actions/) or an HTTP status (app/web/errors.py). Nothing outside this tree should
escape an adapter.
"""


class DomainError(Exception):
    """Base of every error the project raises on purpose."""


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class VerificationRequired(DomainError):
    pass


class NotAuthenticated(DomainError):
    pass


class TooManyAttempts(DomainError):
    pass


class NotPermitted(DomainError):
    pass


class ApprovalLimitExceeded(NotPermitted):
    pass


class Conflict(DomainError):
    pass


class IdempotencyConflict(Conflict):
    pass


class AlreadyDecided(Conflict):
    pass


class FactsChanged(Conflict):
    pass


class ExternalSystemError(DomainError):
    pass


class ExternalTimeout(ExternalSystemError):
    pass


class ExternalRefused(ExternalSystemError):
    pass


class ExternalProtocolError(ExternalSystemError):
    """The system answered, but not as its contract says: a malformed body, a missing field
    we need, money that is not whole minor units or in another currency. For a posting it may
    have acted, so it is handled like a lost answer."""


class StorageUnavailable(ExternalSystemError):
    pass
