"""The one error the Compose reader raises: it names the line and the field, then the cause."""

from __future__ import annotations


class ComposeError(ValueError):
    """A Compose file that `docker stack deploy` would refuse, or that Davit refuses to read.

    `str()` gives ``line 7: services.web.deploy.replicas: must be an integer, got "two"``; the parts are
    also kept apart (`message`, `line`, `field`) so an editor can show the error at its line.
    """

    def __init__(self, message: str, line: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    def as_dict(self) -> dict:
        return {"message": self.message, "line": self.line, "field": self.field, "error": str(self)}
