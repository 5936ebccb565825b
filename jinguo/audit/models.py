from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import ScopedManager

# Past-tense dotted actions, in Chinese for the history panels.
ACTION_LABELS = {
    "orgs.unit.created": "新建单位",
    "orgs.unit.moved": "移动单位",
    "orgs.unit.updated": "修改单位",
    "orgs.unit.deactivated": "停用单位",
    "orgs.unit.reactivated": "启用单位",
    "orgs.tree.imported": "导入组织树",
    "accounts.user.created": "新建用户",
    "accounts.user.updated": "修改用户",
    "accounts.user.deactivated": "停用用户",
    "accounts.user.password_reset": "重置密码",
    "accounts.token.created": "创建 API 令牌",
    "accounts.token.revoked": "吊销 API 令牌",
    "campaigns.campaign.created": "创建活动",
    "campaigns.campaign.updated": "修改活动",
    "campaigns.campaign.published": "发布活动",
    "campaigns.campaign.reissued": "转发活动",
    "campaigns.receipt.signed": "签收",
    "campaigns.receipt.read": "首次阅读",
    "campaigns.attachment.added": "上传附件",
    "campaigns.plan.saved": "保存方案草稿",
    "campaigns.plan.submitted": "报送方案",
    "campaigns.plan.returned": "退回修改",
    "campaigns.plan.approved": "备案通过",
    "quiz.bank.created": "新建题库",
    "quiz.bank.updated": "修改题库",
    "quiz.question.created": "新增试题",
    "quiz.question.updated": "修改试题",
    "quiz.question.deactivated": "停用试题",
    "quiz.question.reactivated": "启用试题",
    "quiz.questions.imported": "导入试题",
    "quiz.quiz.created": "创建竞赛",
    "quiz.quiz.updated": "修改竞赛",
    "quiz.quiz.published": "发布竞赛",
    "quiz.quiz.unpublished": "撤回竞赛",
    "quiz.targets.updated": "设置应参与人数",
    "contests.contest.created": "创建赛事",
    "contests.contest.updated": "修改赛事",
    "contests.contest.status_changed": "更改赛事状态",
    "contests.quota.set": "设置推荐名额",
    "contests.entry.submitted": "投稿",
    "contests.entry.replaced": "更换作品",
    "contests.entry.withdrawn": "撤回作品",
    "contests.entry.disqualified": "取消参赛资格",
    "contests.entry.recommended": "推荐作品",
    "contests.entry.declined": "不推荐作品",
    "contests.redaction.checked": "确认评审用正文",
    "activities.activity.recorded": "记入台账",
    "activities.activity.updated": "修改台账",
    "activities.activity.imported": "导入台账",
    "activities.activity.voided": "作废台账",
    "activities.activity.restored": "恢复台账",
    "activities.photo.added": "上传活动照片",
    "activities.photo.deleted": "删除活动照片",
    "activities.attendee.added": "添加参会人员",
    "activities.attendee.removed": "移除参会人员",
    "activities.attendee.voided": "作废参会人员",
    "activities.attendee.restored": "恢复参会人员",
    "activities.minutes.saved": "保存座谈纪要",
    "activities.need.raised": "登记诉求",
    "activities.need.started": "开始办理诉求",
    "activities.need.noted": "添加办理记录",
    "activities.need.resolved": "诉求已办结",
    "activities.need.unresolvable": "诉求无法解决",
    "activities.need.voided": "作废诉求",
    "activities.need.restored": "恢复诉求",
    "reports.report.saved": "保存信息草稿",
    "reports.report.submitted": "报送信息",
    "reports.report.revised": "审核修改信息",
    "reports.report.adopted": "采用信息",
    "reports.report.rejected": "信息未采用",
    "reports.report.voided": "作废信息",
    "reports.report.restored": "恢复信息",
    "reports.photo.added": "上传信息图片",
    "reports.photo.removed": "删除信息图片",
    "summaries.summary.drafted": "起草总结",
    "summaries.summary.redrafted": "按最新数据更新总结",
    "summaries.summary.submitted": "报送总结",
    "summaries.summary.returned": "退回修改",
    "summaries.summary.accepted": "总结审核通过",
    "care.person.registered": "登记关爱对象",
    "care.person.updated": "修改关爱对象",
    "care.person.closed": "结案",
    "care.person.reopened": "恢复在册",
    "care.person.transferred": "转移责任单位",
    "care.person.imported": "导入关爱对象",
    "care.person.anonymised": "到期匿名化",
    "care.member.added": "添加家庭成员",
    "care.consent.recorded": "登记同意记录",
    "care.consent.withdrawn": "撤回同意",
    "care.help.recorded": "登记帮扶记录",
    "care.attachment.added": "上传帮扶附件",
    "care.followup.recorded": "登记回访",
    "care.duplicate.reported": "发现重复登记",
    "care.duplicate.dismissed": "维持原责任单位",
    "care.category.added": "新增关爱类别",
    "care.registry.exported": "导出关爱对象",
}


class AuditEntry(models.Model):
    """Who did what to which object, when, from which state to which, and why."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    from_state = models.CharField(max_length=100, blank=True)
    to_state = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)
