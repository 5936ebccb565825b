"""What the tree announces, for the apps built on it to follow (orgs imports none of them).

``org_moved`` is sent inside the move's transaction, after the subtree's paths are rewritten and
before the audit entry: a receiver that raises rolls the whole move back. Arguments:
``org`` (the moved unit, already refreshed), ``old_ancestors`` and ``new_ancestors`` (the ids of
the units that were above it before the move and of those above it now).
"""

from django.dispatch import Signal

org_moved = Signal()
