"""The units' permission names. Orgs sits below accounts, where the roles live, so the roles are
granted this permission in ``jinguo.accounts.rules``; the check is ``accounts.rules.has_perm``."""

UNIT_WRITE = "orgs.units:write"
