"""The one exception tree of the project.

    DomainError
    ├── NotFound                 an account, bill or case that does not exist
    ├── InvalidInput             input that can never be valid (malformed id, bad amount)
    ├── IdempotencyConflict      same idempotency key, different request
    ├── VerificationRequired     account data asked for before identity was verified
    └── ExternalSystemError      a system outside us (BSS, LLM) failed
        ├── ExternalTimeout      ... by not answering in time
        └── ExternalRefused      ... by refusing the request

Adapters translate vendor errors into this tree; entry points map it to a bot reply or an HTTP
status. Nothing outside this tree should escape an adapter.
"""


class DomainError(Exception):
    """Base of every error the project raises on purpose."""


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class IdempotencyConflict(DomainError):
    pass


class VerificationRequired(DomainError):
    pass


class ExternalSystemError(DomainError):
    pass


class ExternalTimeout(ExternalSystemError):
    pass


class ExternalRefused(ExternalSystemError):
    pass
