from django.contrib.contenttypes.models import ContentType
from django.db import models

from jinguo.audit.models import AuditEntry


def history_of(obj: models.Model):
    """Audit entries of one object, newest first, within the active scope."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEntry.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")
