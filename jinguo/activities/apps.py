from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "jinguo.activities"
    verbose_name = "活动台账"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.activities import rules

        register_permissions(rules.ROLE_PERMISSIONS)

        from jinguo.activities.rollups import follow_moved_org
        from jinguo.orgs.signals import org_moved

        # The ledger's running totals follow a moved subtree to its new ancestors.
        org_moved.connect(follow_moved_org, dispatch_uid="activities.follow_moved_org")
