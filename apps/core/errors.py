"""Davit's own exceptions. Each carries a sentence a person can act on; views and the API map them to 4xx/503."""


class DavitError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class ValidationFailed(DavitError):
    status = 400
    code = "invalid"


class Forbidden(DavitError):
    status = 403
    code = "permission_denied"


class NotFound(DavitError):
    status = 404
    code = "not_found"


class Conflict(DavitError):
    status = 409
    code = "conflict"


class Unavailable(DavitError):
    status = 503
    code = "unavailable"
