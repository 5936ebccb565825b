from django.db import migrations

TABLES = ("quiz_scorebucket", "quiz_scoreminute")


def set_fillfactor(apps, schema_editor, value=10):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("quiz", "0005_score_minutes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
