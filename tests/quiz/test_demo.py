from __future__ import annotations

from django.core.management import call_command

from jinguo.lib.excel import read_table
from jinguo.quiz.demo import SLUG, STARTER_BANK, load_demo_quiz
from jinguo.quiz.importing import import_questions
from jinguo.quiz.models import Attempt, Participant, Question, QuestionBank, Quiz


def test_starter_bank_imports_without_errors(tree):
    if not STARTER_BANK.exists():
        return
    bank = QuestionBank.objects.create(owner=tree.city, name="起步题库")
    result = import_questions(bank, read_table(STARTER_BANK.read_bytes(), STARTER_BANK.name), dry_run=True)
    assert result.errors == []
    assert len(result.created) >= 150


def test_demo_quiz_is_live_with_attempts_across_counties(db, capsys):
    call_command("loaddemo")
    quiz = load_demo_quiz(attempts=60)
    assert quiz.slug == SLUG and quiz.is_published
    assert quiz.owner.code == "520500"
    assert Question.objects.filter(bank=quiz.bank).count() >= (150 if STARTER_BANK.exists() else 20)
    assert Attempt.objects.filter(quiz=quiz).count() >= 60  # 360 once loaddemo loads the quiz itself
    assert Attempt.objects.filter(quiz=quiz, status="open").count() == 0
    assert Participant.objects.filter(quiz=quiz).values("unit__parent").distinct().count() > 3
    assert load_demo_quiz() == quiz
    assert Quiz.objects.count() == 1
