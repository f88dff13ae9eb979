"""The scorecard and plan pages of the admin show names, formatted numbers and translated
statuses (with a word and an icon, not colour alone), in English and Japanese."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from metrics.periods import Period
from metrics.services import measurements_upsert
from plans.models import Plan, ScorecardSnapshot
from plans.services import plan_create, scorecards_recompute
from tests.clients.factories import ClientFactory
from tests.plans.builders import mrr_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(world):
    client = ClientFactory(consultancy=world.a, name="Kumo KK")
    plan_create(client=client, raw=mrr_plan(), actor=None)
    measurements_upsert(
        client=client,
        rows=[{"metric": "mrr", "period": "2026-10", "value": 64_000_000}],
        actor=None,
    )
    scorecards_recompute(client_id=client.pk, period=Period.parse("2026-10"))
    return ScorecardSnapshot.objects.get(client=client, period_start="2026-10-01")


def page(client, url, language):
    return client.get(url, headers={"accept-language": language}).content.decode()


def missing(html: str, *texts: str) -> list[str]:
    """The texts the page does not show (an empty list when it shows them all)."""
    return [text for text in texts if text not in html]


def test_a_scorecard_page_reads_in_english(as_user, october):
    html = page(as_user("owner"), f"/admin/plans/scorecardsnapshot/{october.pk}/change/", "en")

    # The must path runs through the Q3 milestone's 60,000,000 (September) to 100,000,000 in
    # December: October is 60,000,000 + 40,000,000 x 1/3 = 73,333,333.33 yen. The actual
    # 64,000,000 attains 64 / 73.333... = 87.3%: below the 0.9 tolerance, off track. Stretch:
    # 12,000,000 + 138,000,000 x 10/12 = 127,000,000.
    # The milestone, due 30 Sep 2026 with MRR >= 60,000,000: September had no value, so missed.
    assert (
        missing(
            html,
            ">MRR<",
            "¥73,333,333",
            "¥64,000,000",
            "¥127,000,000",
            "87.3%",
            "Off track",
            'data-status="off_track"',
            "Oct 2026",
            "30 Sep 2026",
            "Missed",
        )
        == []
    )
    # No metric key, raw decimal or JSON.
    assert [text for text in (">mrr<", "73333333.333333", '{"key"') if text in html] == []


def test_a_scorecard_page_reads_in_japanese(as_user, october):
    html = page(as_user("owner"), f"/admin/plans/scorecardsnapshot/{october.pk}/change/", "ja")

    assert (
        missing(
            html,
            "月次経常収益（MRR）",
            'title="73,333,333円">7,333万円<',
            "6,400万円",
            "遅れ",
            "2026年10月",
        )
        == []
    )


def test_the_plan_page_shows_names_targets_and_conversions(as_user, october):
    plan = Plan.objects.get(client=october.client)

    html = page(as_user("owner"), f"/admin/plans/plan/{plan.pk}/change/", "ja")

    # Baseline 1,200万円, must 1億円, stretch 1億5,000万円 by December; the funnel's target
    # conversions 0.25 and 0.8 as 25.0% and 80.0%.
    assert (
        missing(
            html,
            "月次経常収益（MRR）",
            "1,200万円",
            "1億円",
            "1億5,000万円",
            "2026年12月",
            "25.0%",
            "80.0%",
            "新規顧客数",
        )
        == []
    )


def test_the_scorecard_list_is_filtered_by_health_in_words(as_user, october):
    html = page(as_user("owner"), "/admin/plans/scorecardsnapshot/?health=red", "en")

    assert missing(html, "In trouble", "Kumo KK") == []


@pytest.mark.parametrize(
    ("template", "language", "shown"),
    [
        (
            "{% money value 'JPY' %}",
            "ja",
            '<span class="wp-num" title="8,330,000円">833万円</span>',
        ),
        ("{% money value 'JPY' %}", "en", '<span class="wp-num">¥8,330,000</span>'),
        ("{% period_label '2026-Q1' %}", "ja", "2026年 第1四半期"),
    ],
)
def test_the_template_tags_write_in_the_reader_language(template, language, shown):
    rendered = Template("{% load metrics_display %}" + template)
    with translation.override(language):
        assert rendered.render(Context({"value": Decimal(8_330_000)})) == shown


def test_a_status_badge_has_a_word_and_an_icon(settings):
    rendered = Template("{% load plans_display %}{% status_badge 'at_risk' %}")
    with translation.override("ja"):
        html = rendered.render(Context())

    assert missing(html, "要注意", "▲", "wp-tone-warn") == []
