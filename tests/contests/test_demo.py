from jinguo.contests.demo import ARTS_TITLE, ESSAY_TITLE, load_demo_contests
from jinguo.contests.models import Contest, Entry, Quota, Recommendation
from jinguo.demo import campaign, people, tree


def test_demo_contests_essays_with_recommendations_copies_and_an_arts_contest(db):
    tree.load_tree()
    people.load_users()
    campaign.load_campaign()
    essay, arts = load_demo_contests()
    assert (essay.title, essay.status, essay.line.title) == (
        ESSAY_TITLE,
        Contest.Status.JUDGING,
        "“三项”技能竞赛（征文、演讲、知识竞赛）",
    )
    entries = list(Entry.objects.filter(contest=essay).select_related("current_version", "category"))
    assert len(entries) == 42
    assert {e.category.name for e in entries} == {"散文", "诗歌"}
    assert {e.source for e in entries} == {Entry.Source.LIAISON, Entry.Source.PUBLIC}
    assert all(e.current_version.char_count > 100 for e in entries)
    # Every county decided on every entry of its subtree, within its quota.
    assert Recommendation.objects.filter(entry__contest=essay).count() == 42
    for quota in Quota.objects.filter(contest=essay):
        recommended = Recommendation.objects.filter(entry__contest=essay, org=quota.org, status="recommended").count()
        assert recommended == quota.max_entries == 4
    # The planted copies: one whole, one about half, both recommended.
    by_title = {e.title: e for e in entries}
    whole, half = by_title["奋进的她"], by_title["乌蒙巾帼"]
    assert whole.current_version.text == entries[0].current_version.text
    source_lines = set(entries[6].current_version.text.split("\n"))
    half_lines = half.current_version.text.split("\n")
    assert 0.3 < sum(line in source_lines for line in half_lines) / len(half_lines) < 0.7
    assert whole.recommended and half.recommended
    # A signature in an essay is masked in the judges' copy.
    signed = next(e for e in entries if "（作者：" in e.current_version.text)
    assert signed.author_name not in signed.current_version.redacted_text
    assert "（作者：■■，■■，联系电话 ■■）" in signed.current_version.redacted_text
    works = list(Entry.objects.filter(contest=arts).select_related("current_version"))
    assert arts.title == ARTS_TITLE and arts.status == Contest.Status.OPEN
    assert len(works) == 12 and all(w.current_version.thumbnail for w in works)
    assert set(load_demo_contests()) == {essay, arts}  # loading again adds nothing
