"""EncryptedTextField: the value is sealed with Fernet in the database and plain in Python."""

from django.db import models

from .crypto import seal, unseal


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return unseal(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return seal(value)
