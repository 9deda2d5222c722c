"""Docker errors turned into Davit's own, each with a sentence that names the object and the cause."""


class SwarmError(Exception):
    status = 502
    code = "swarm_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unreachable(SwarmError):
    status = 503
    code = "unreachable"


class NotInSwarm(SwarmError):
    status = 400
    code = "not_in_swarm"


class NotManager(SwarmError):
    status = 400
    code = "not_manager"


class TLSRejected(SwarmError):
    status = 400
    code = "tls_rejected"


class ObjectNotFound(SwarmError):
    status = 404
    code = "not_found"


class ObjectConflict(SwarmError):
    status = 409
    code = "conflict"


class Rejected(SwarmError):
    """The engine refused the request as invalid (HTTP 400 from the engine)."""

    status = 400
    code = "rejected"


class RegistryError(SwarmError):
    status = 400
    code = "registry"
