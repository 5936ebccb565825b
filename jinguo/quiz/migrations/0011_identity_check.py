"""A quiz says whether it awards prizes and how a participant proves who they are (the old "needs
an SMS code" box becomes the choice "短信验证码"); a participant keeps the hash of its device's key."""

from django.db import migrations, models


def sms_box_to_choice(apps, schema_editor):
    Quiz = apps.get_model("quiz", "Quiz")
    Quiz._base_manager.filter(require_sms_code=True).update(identity_check="sms")


def choice_to_sms_box(apps, schema_editor):
    Quiz = apps.get_model("quiz", "Quiz")
    Quiz._base_manager.filter(identity_check="sms").update(require_sms_code=True)


class Migration(migrations.Migration):
    dependencies = [("quiz", "0010_finish_function_from_ranking")]

    operations = [
        migrations.AddField(
            model_name="quiz",
            name="awards_prizes",
            field=models.BooleanField(default=False, verbose_name="设有奖品"),
        ),
        migrations.AddField(
            model_name="quiz",
            name="identity_check",
            field=models.CharField(
                choices=[
                    ("default", "默认：设有奖品的用短信验证码，不设奖品的用本机验证"),
                    ("device", "本机验证"),
                    ("sms", "短信验证码"),
                ],
                default="default",
                max_length=10,
                verbose_name="参赛人身份核验",
            ),
        ),
        migrations.RunPython(sms_box_to_choice, choice_to_sms_box),
        migrations.RemoveField(model_name="quiz", name="require_sms_code"),
        migrations.AddField(
            model_name="participant",
            name="device_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
