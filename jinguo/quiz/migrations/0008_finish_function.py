"""The submit on PostgreSQL as one PL/pgSQL function (then called by services._finish_pg; replaced
by 0010, which compiles it from its one definition, jinguo.quiz.ranking.FINISH).

It replaced a single statement of eight CTEs: that statement's plan had ~45 nodes, and building and
tearing them down on every submit cost about 0.2 ms of PostgreSQL's CPU even when it wrote nothing.
The function runs only what the case needs (no participant update when the attempt is not their
best, no histogram moves when the best stays in the same buckets), each step a small cached plan.

It does what services._finish_sqlite does step by step, with the same lock order (the attempt, then
the participant, then the histogram's rows in key order: the one-second buckets, then the per-minute
sums), so concurrent submits cannot deadlock, and the rank is selectors.rank_sql's. Keep the three in
step: a change to these tables' columns or to the ranking needs a new migration replacing this
function.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION jinguo_quiz_finish(
    p_attempt bigint, p_status text, p_answers jsonb, p_score integer, p_correct integer,
    p_time integer, p_at timestamptz, p_tabs integer, p_events jsonb)
RETURNS TABLE (o_score integer, o_time integer, o_at timestamptz, o_improved boolean,
               o_name text, o_used integer, o_rank bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_participant bigint;
    v_quiz bigint;
    f_s integer;      -- the participant's best after this submit
    f_t integer;
    f_at timestamptz;
    n_sec integer := p_time / 1000;
    o_sec integer;
BEGIN
    -- Close the attempt if it is still open; a repeated submit changes nothing and gets no row.
    UPDATE quiz_attempt SET status = p_status, answers = p_answers, score = p_score,
        correct_count = p_correct, time_used_ms = p_time, submitted_at = p_at,
        tab_switches = COALESCE(p_tabs, tab_switches), events = COALESCE(p_events, events)
    WHERE id = p_attempt AND status = 'open'
    RETURNING participant_id, quiz_id INTO v_participant, v_quiz;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT pp.best_score, pp.best_time_ms, pp.best_submitted_at, pp.name, pp.attempts_count
    INTO o_score, o_time, o_at, o_name, o_used
    FROM quiz_participant pp WHERE pp.id = v_participant FOR UPDATE;
    -- Ranking order: score desc, time used asc (then submitted asc: a later attempt never wins a tie).
    o_improved := o_score IS NULL OR o_score < p_score OR (o_score = p_score AND o_time > p_time);
    IF o_improved THEN
        UPDATE quiz_participant SET best_attempt_id = p_attempt, best_score = p_score,
            best_time_ms = p_time, best_submitted_at = p_at
        WHERE id = v_participant;
        f_s := p_score; f_t := p_time; f_at := p_at;
        o_sec := o_time / 1000;
        -- The histogram: +1 where the new best is, -1 where the old one was (nothing when both
        -- fall in the same row), the rows taken in key order (score, second), then the same for
        -- the per-minute sums.
        IF o_score IS NOT NULL AND (o_score, o_sec) < (p_score, n_sec) THEN
            INSERT INTO quiz_scorebucket AS b (quiz_id, score, second, participants)
            VALUES (v_quiz, o_score, o_sec, -1)
            ON CONFLICT (quiz_id, score, second) DO UPDATE SET participants = b.participants - 1;
        END IF;
        IF o_score IS NULL OR (o_score, o_sec) <> (p_score, n_sec) THEN
            INSERT INTO quiz_scorebucket AS b (quiz_id, score, second, participants)
            VALUES (v_quiz, p_score, n_sec, 1)
            ON CONFLICT (quiz_id, score, second) DO UPDATE SET participants = b.participants + 1;
        END IF;
        IF o_score IS NOT NULL AND (o_score, o_sec) > (p_score, n_sec) THEN
            INSERT INTO quiz_scorebucket AS b (quiz_id, score, second, participants)
            VALUES (v_quiz, o_score, o_sec, -1)
            ON CONFLICT (quiz_id, score, second) DO UPDATE SET participants = b.participants - 1;
        END IF;
        IF o_score IS NOT NULL AND (o_score, o_sec / 60) < (p_score, n_sec / 60) THEN
            INSERT INTO quiz_scoreminute AS m (quiz_id, score, minute, participants)
            VALUES (v_quiz, o_score, o_sec / 60, -1)
            ON CONFLICT (quiz_id, score, minute) DO UPDATE SET participants = m.participants - 1;
        END IF;
        IF o_score IS NULL OR (o_score, o_sec / 60) <> (p_score, n_sec / 60) THEN
            INSERT INTO quiz_scoreminute AS m (quiz_id, score, minute, participants)
            VALUES (v_quiz, p_score, n_sec / 60, 1)
            ON CONFLICT (quiz_id, score, minute) DO UPDATE SET participants = m.participants + 1;
        END IF;
        IF o_score IS NOT NULL AND (o_score, o_sec / 60) > (p_score, n_sec / 60) THEN
            INSERT INTO quiz_scoreminute AS m (quiz_id, score, minute, participants)
            VALUES (v_quiz, o_score, o_sec / 60, -1)
            ON CONFLICT (quiz_id, score, minute) DO UPDATE SET participants = m.participants - 1;
        END IF;
    ELSE
        f_s := o_score; f_t := o_time; f_at := o_at;
    END IF;
    -- The rank of that best (selectors.rank_sql): everyone with a higher score or the same score
    -- in an earlier minute (per-minute sums), the same score in an earlier second of its minute
    -- (buckets), then the rest of its own second (index count). The participant's own rows are
    -- never ahead of their best, so reading them after the moves above changes nothing.
    SELECT 1
        + (SELECT COALESCE(SUM(mm.participants), 0) FROM quiz_scoreminute mm
           WHERE mm.quiz_id = v_quiz AND mm.score >= f_s
             AND (mm.score > f_s OR mm.minute < f_t / 60000))
        + (SELECT COALESCE(SUM(bb.participants), 0) FROM quiz_scorebucket bb
           WHERE bb.quiz_id = v_quiz AND bb.score = f_s
             AND bb.second >= (f_t / 60000) * 60 AND bb.second < f_t / 1000)
        + (SELECT COUNT(*) FROM quiz_participant qp
           WHERE qp.quiz_id = v_quiz AND qp.best_score IS NOT NULL AND qp.best_score = f_s
             AND qp.best_time_ms >= (f_t / 1000) * 1000 AND qp.best_time_ms <= f_t
             AND (qp.best_time_ms < f_t OR qp.best_submitted_at < f_at))
    INTO o_rank;
    RETURN NEXT;
END
$fn$;
"""

SIGNATURE = "jinguo_quiz_finish(bigint, text, jsonb, integer, integer, integer, timestamptz, integer, jsonb)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")


class Migration(migrations.Migration):
    dependencies = [("quiz", "0007_drop_score_totals")]

    operations = [migrations.RunPython(create, drop)]
