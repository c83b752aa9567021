"""Use cases that change state: one function, one transaction, one history event."""


class ServiceError(Exception):
    """A refusal the view shows next to a field (`field`) or at the top of the form (field None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
