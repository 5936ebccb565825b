"""Key rotation: re-encrypt, in batches, every stored value that is not under the current key."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection, transaction

from jinguo.care import crypto
from jinguo.care.fields import EncryptedTextField
from jinguo.lib.scoping import scopes_disabled

BATCH = 1000


@dataclass
class RotationResult:
    values: int = 0
    files: int = 0


def encrypted_columns() -> list[tuple[type, list[EncryptedTextField]]]:
    found = []
    for model in apps.get_app_config("care").get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def _rotate_table(model, fields, ring: crypto.Keyring, batch: int) -> int:
    """Raw SQL on purpose: the ORM would hand back clear values and hide which key sealed them."""
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    columns = [qn(f.column) for f in fields]
    prefix = ring.current + ":"
    stale = " OR ".join(f"({c} <> '' AND {c} NOT LIKE %s)" for c in columns)
    select = f"SELECT {pk}, {', '.join(columns)} FROM {table} WHERE {pk} > %s AND ({stale}) ORDER BY {pk} LIMIT %s"  # noqa: S608 - names from the model, quoted
    update = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"  # noqa: S608 - names from the model, quoted
    done, last = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last, *[prefix + "%"] * len(columns), batch])
            rows = cursor.fetchall()
            if not rows:
                return done
            updates = []
            for row_pk, *values in rows:
                new = []
                for field, value in zip(fields, values, strict=True):
                    if value and not value.startswith(prefix):
                        value = crypto.encrypt(
                            crypto.decrypt(value, purpose=field.purpose, ring=ring), purpose=field.purpose, ring=ring
                        )
                        done += 1
                    new.append(value)
                updates.append([*new, row_pk])
            cursor.executemany(update, updates)
            last = rows[-1][0]


def rotate(*, batch: int = BATCH) -> RotationResult:
    """Re-encrypt every value and attachment under the current key. Safe to run again (and to stop
    half-way): what is already under the current key is skipped."""
    ring = crypto.keyring()
    result = RotationResult()
    for model, fields in encrypted_columns():
        result.values += _rotate_table(model, fields, ring, batch)
    from jinguo.care.models import HelpAttachment

    prefix = ring.current.encode() + b":"
    with scopes_disabled():  # a maintenance command: every unit's attachments
        attachments = list(HelpAttachment.objects.only("pk", "file"))
    for attachment in attachments:
        with attachment.file.open("rb") as f:
            blob = f.read()
        if blob.startswith(prefix):
            continue
        data = crypto.decrypt_bytes(blob, purpose=crypto.ATTACHMENT_PURPOSE)
        old = attachment.file.name
        attachment.file.save("a.bin", ContentFile(crypto.encrypt_bytes(data, purpose=crypto.ATTACHMENT_PURPOSE)))
        attachment.file.storage.delete(old)
        result.files += 1
    return result
