"""Soulmates ranked by the TCI shrunk towards the unrelated value by titles in common."""

import pytest
from django.urls import reverse
from django.utils import timezone

from taste import engine, selectors, services
from taste.models import Compatibility
from tests.factories import UserFactory
from tests.html import select, select_one

pytestmark = pytest.mark.django_db


def test_shrunk_tci_by_hand():
    # (3 * 5 + 3 * 33.33) / (3 + 3) = 19.17; (30 * 8 + 3 * 33.33) / 33 = 10.30.
    assert engine.shrunk_tci(5.0, 3) == pytest.approx(115 / 6, abs=1e-3)
    assert engine.shrunk_tci(8.0, 30) == pytest.approx(340 / 33, abs=1e-3)
    assert engine.shrunk_tci(33.0, 1000) == pytest.approx((33000 + 100) / 1003)


def _pair(me, other, tci: float, common: int) -> None:
    a, b = sorted((me.pk, other.pk))
    Compatibility.objects.create(
        user_a_id=a,
        user_b_id=b,
        tci=tci,
        common_count=common,
        tci_shrunk=engine.shrunk_tci(tci, common),
        computed_at=timezone.now(),
    )


@pytest.fixture
def mates():
    me = UserFactory(username="me")
    lucky = UserFactory(username="lucky", display_name="Lucky Three")
    steady = UserFactory(username="steady", display_name="Steady Thirty")
    middling = UserFactory(username="middling", display_name="Middling")
    _pair(me, lucky, 5.0, 3)  # ranked as 19.2
    _pair(me, steady, 8.0, 30)  # ranked as 10.3
    _pair(me, middling, 12.0, 50)  # ranked as 13.2
    return me, lucky, steady, middling


def test_three_shared_titles_at_tci_5_rank_below_thirty_at_tci_8(mates):
    me, lucky, steady, middling = mates
    ranked = selectors.user_soulmates(me)
    assert [m.user.username for m in ranked] == ["steady", "middling", "lucky"]
    assert ranked[0].shrunk_tci == pytest.approx(engine.shrunk_tci(8.0, 30))


def test_soulmates_page_shows_the_rank_and_the_titles_shared(client, mates):
    me, lucky, steady, middling = mates
    client.force_login(me)
    html = client.get(reverse("taste:soulmates")).content.decode()
    rows = select(select_one(html, "tbody"), "tr")
    assert [select(row, "td")[1].text for row in rows] == [
        "Steady Thirty",
        "Middling",
        "Lucky Three",
    ]
    last = select(rows[2], "td")
    assert [cell.text for cell in last[2:5]] == ["5.0", "3 titles", "19.2"]
    shared = select_one(rows[2], "a", class_="shared-count")
    assert shared.get("href") == reverse("taste:tci-explain", args=["lucky"])


def test_tci_explanation_shows_the_shrinkage_term(client, trio):
    a, b, c, d, e = trio
    services.rebuild_all()
    client.force_login(a)
    html = client.get(reverse("taste:tci-explain", args=["c"])).content.decode()
    # TCI 56 / 5 = 11.2 over 5 titles: (5 x 11.20 + 3 x 33.33) / (5 + 3) = 19.50.
    term = select_one(html, "p", class_="tci-shrunk")
    assert "(5 × 11.20 + 3 × 33.33) ÷ (5 + 3) = 19.50" in term.text
    assert engine.shrunk_tci(11.2, 5) == pytest.approx(19.5, abs=1e-3)
