"""Tests keep their files to themselves: ``tests/conftest.py`` moves every folder the code writes to."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

REPO_VAR = Path(__file__).resolve().parent.parent / "var"


def test_files_written_by_tests_stay_out_of_var(tmp_path_factory):
    pytest_tmp = tmp_path_factory.getbasetemp()
    folders = [Path(settings.VAR_DIR), Path(settings.MEDIA_ROOT), Path(settings.UPLOADS_DIR)]
    assert [f.is_relative_to(pytest_tmp) for f in folders] == [True, True, True]
    assert [f.is_relative_to(REPO_VAR) for f in folders] == [False, False, False]
