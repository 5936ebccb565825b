from django.core.management.base import BaseCommand, CommandError

from jinguo.contests import similarity
from jinguo.contests.copies import CopiesError, check_copies, overlaps_for_command
from jinguo.contests.models import Contest
from jinguo.lib.scoping import scopes_disabled


class Command(BaseCommand):
    help = "征文查重：比对赛事内作品之间、与本单位往届征文和比对文本库，列出疑似重复的作品对（编号与重合度）。"

    def add_arguments(self, parser):
        parser.add_argument("contest_id", type=int)
        parser.add_argument(
            "--threshold",
            type=float,
            default=similarity.DEFAULT_THRESHOLD,
            help=f"重合度下限（0–1，默认 {similarity.DEFAULT_THRESHOLD}）",
        )

    def handle(self, *args, contest_id: int, threshold: float, **options):
        if not 0 < threshold <= 1:
            raise CommandError("重合度下限应在 0 到 1 之间")
        with scopes_disabled():  # a command names its contest; it is run by the server's operator
            contest = Contest.objects.filter(pk=contest_id).select_related("owner").first()
            if contest is None:
                raise CommandError(f"没有编号为 {contest_id} 的赛事")
            try:
                result = check_copies(contest, threshold=threshold)
            except CopiesError as exc:
                raise CommandError(str(exc)) from None
            rows = overlaps_for_command(contest, threshold=threshold)
        self.stdout.write(f"{contest.title}（{contest.owner.name}）")
        for left, right, score, verdict in rows:
            self.stdout.write(f"{left}\t{right}\t{score:.2f}\t{verdict}")
        self.stdout.write(
            f"比对 {result.entries} 件作品、往届 {result.earlier_entries} 件、比对文本 {result.references} 篇："
            f"疑似重复 {result.pairs} 对（新发现 {result.new} 对），用时 {result.seconds:.1f} 秒。"
        )
