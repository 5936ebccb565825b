"""A text column stored encrypted (``jinguo.care.crypto``): clear in Python, ciphertext in the database.

A lookup on such a column cannot match (each encryption differs), so ``filter(phone=...)`` finds
nothing rather than something: exact ID search goes through the keyed digest instead. An empty
value is stored empty (nothing to hide but its absence).
"""

from __future__ import annotations

from django.db import models

from jinguo.care import crypto


class EncryptedTextField(models.TextField):
    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.purpose = f"{cls._meta.label}.{name}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return crypto.decrypt(value, purpose=self.purpose)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return crypto.encrypt(value, purpose=self.purpose)
