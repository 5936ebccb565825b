from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "jinguo.care"
    verbose_name = "关心关爱"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.care import checks, rules  # noqa: F401 - checks registers the key-file check

        register_permissions(rules.ROLE_PERMISSIONS)

        from jinguo.care.counts import follow_moved_org
        from jinguo.orgs.signals import org_moved

        # The registry's running totals follow a moved subtree to its new ancestors.
        org_moved.connect(follow_moved_org, dispatch_uid="care.follow_moved_org")
