from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "jinguo.summaries"
    verbose_name = "活动总结"

    def ready(self) -> None:
        from jinguo.accounts.rules import register_permissions
        from jinguo.dashboard.columns import MatrixColumn, register_matrix_column
        from jinguo.summaries import care_section, drafting, rules  # noqa: F401 - these register the sections
        from jinguo.summaries.models import Summary

        register_permissions(rules.ROLE_PERMISSIONS)
        # The matrix's 总结 column: the summary state of each target unit (Summary.objects' rule).
        register_matrix_column(
            MatrixColumn(
                key="summary",
                label="总结",
                annotate=lambda rows: rows.annotate(
                    summary_state=Summary.objects.state_of_targets(), summary_pk=Summary.objects.pk_of_targets()
                ),
                cell_template="summaries/_matrix_cell.html",
            )
        )
