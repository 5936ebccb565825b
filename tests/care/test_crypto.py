import io
import json

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.db import connection

from jinguo.care import crypto
from jinguo.care.checks import check_care_keys
from jinguo.care.models import HouseholdMember, Person
from jinguo.care.services import digest_of
from jinguo.lib.idnumbers import IdNumberError, make_id_number, parse_id_number
from tests.care.conftest import QXG_ID, QXG_PHONE


def _raw(person, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM care_person WHERE id = %s", [person.pk])  # noqa: S608 - test
        return cursor.fetchone()[0]


def test_values_are_stored_encrypted_and_read_back_clear(people):
    raw = _raw(people.qxg, "id_number")
    assert QXG_ID not in raw and raw.startswith("k1:")
    assert QXG_PHONE not in _raw(people.qxg, "phone")
    assert "乳腺癌" not in _raw(people.qxg, "health")
    fresh = Person.objects.get(pk=people.qxg.pk)
    assert (fresh.id_number, fresh.phone, fresh.health) == (QXG_ID, QXG_PHONE, "乳腺癌术后康复期")


def test_a_value_moved_to_another_column_does_not_decrypt(people):
    token = crypto.encrypt("13912341234", purpose="care.Person.phone")
    assert crypto.decrypt(token, purpose="care.Person.phone") == "13912341234"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, purpose="care.Person.id_number")


def test_a_tampered_value_is_refused():
    token = crypto.encrypt("secret", purpose="p")
    body = bytearray(crypto.base64.urlsafe_b64decode(token.split(":")[1]))
    body[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("k1:" + crypto.base64.urlsafe_b64encode(bytes(body)).decode(), purpose="p")


def test_lookup_on_an_encrypted_column_finds_nothing(people):
    assert list(Person.objects.filter(phone=QXG_PHONE)) == []


def test_the_id_digest_is_keyed_and_normalised(people, settings, tmp_path):
    assert people.qxg.id_digest == digest_of(" " + QXG_ID.lower() + " ")
    import hashlib

    assert people.qxg.id_digest != hashlib.sha256(QXG_ID.encode()).hexdigest()
    settings.CARE_KEYS_FILE = tmp_path / "other.json"
    assert digest_of(QXG_ID) != people.qxg.id_digest


def test_key_file_is_owner_only(people, settings):
    assert settings.CARE_KEYS_FILE.stat().st_mode & 0o077 == 0


def test_rotation_reencrypts_every_value_under_the_new_key(people, settings):
    HouseholdMember.objects.create(person=people.qxg, name="张父", relation="父亲", phone="13800001111")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jinguo.care import services

    record = services.record_help(people.qxg, by=people.qxg.created_by, given_on=people.qxg.created_at.date(),
                                  kind="cash", given_by="妇联")  # fmt: skip
    attachment = services.add_attachment(record, by=people.qxg.created_by, kind="receipt",
                                         upload=SimpleUploadedFile("r.pdf", b"%PDF receipt"))  # fmt: skip
    before = _raw(people.qxg, "id_number")
    out = io.StringIO()
    call_command("rotatecarekeys", "--new-key", "--batch", "1", stdout=out)
    # 张小芳: ID, phone, health; 李秀英: ID, phone; the household member: phone; the attachment: its name
    assert "re-encrypted 7 values and 1 attachments" in out.getvalue()
    data = json.loads(settings.CARE_KEYS_FILE.read_text())
    assert data["current"] != "k1" and set(data["keys"]) == {"k1", data["current"]}
    after = _raw(people.qxg, "id_number")
    assert after != before and after.startswith(data["current"] + ":")
    for column in ("phone", "health"):
        value = _raw(people.qxg, column)
        assert value.startswith(data["current"] + ":")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM care_householdmember")
        assert cursor.fetchone()[0].startswith(data["current"] + ":")
    assert Person.objects.get(pk=people.qxg.pk).id_number == QXG_ID
    attachment.refresh_from_db()
    assert attachment.file.read().startswith(data["current"].encode() + b":")
    assert services.read_attachment(attachment) == b"%PDF receipt"
    # The old key can now leave the file: nothing needs it.
    data["keys"] = {data["current"]: data["keys"][data["current"]]}
    crypto.write_key_file(settings.CARE_KEYS_FILE, data)
    assert Person.objects.get(pk=people.dafang.pk).phone == "13787654321"


def test_production_refuses_to_start_without_a_key_file(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://x@db/jinguo")
    settings.DEBUG = False
    settings.CARE_KEYS_FROM_ENV = False
    assert [e.id for e in check_care_keys() if isinstance(e, Error)] == ["jinguo.E010"]
    settings.CARE_KEYS_FROM_ENV = True
    settings.CARE_KEYS_FILE = "/nonexistent/care-keys.json"
    assert [e.id for e in check_care_keys()] == ["jinguo.E011"]


def test_id_numbers_are_checked_and_read():
    number = make_id_number("52050220100615002")
    parsed = parse_id_number(number.lower())
    assert (parsed.birth_date.isoformat(), parsed.sex) == ("2010-06-15", "F")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    with pytest.raises(IdNumberError, match="校验位"):
        parse_id_number(wrong)


def test_wsgi_refuses_to_serve_in_production_without_care_keys():
    import subprocess
    import sys

    from tests.test_deploy_settings import ROOT

    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://jinguo@127.0.0.1:1/none", "SECRET_KEY": "k" * 50}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", "import jinguo.wsgi; print('served')"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "served" not in result.stdout
    assert "生产环境必须设置 CARE_KEYS_FILE" in result.stderr
