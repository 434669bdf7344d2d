"""axe-core (vendored under static/vendor/axe-core/) on every page, as a visitor, a member
and a moderator in the admin, at 390 and 1280 px, in the light and dark themes.

A violation of impact "serious" or "critical" fails the test (all of them are listed,
page by page); "moderate" and "minor" ones are printed, so the closing numbers stay in
sight. The light-theme screenshots of every page go to test-artifacts/a11y-*.png.
"""

from collections import Counter

import pytest

from ratings.models import Rating
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.scenes import site_scene

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
WIDTHS = (390, 1280)
THEMES = ("light", "dark")
FAILING = {"serious", "critical"}


@pytest.fixture
def scene():
    return site_scene()


def _axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # From the site itself: the CSP allows scripts from 'self' only.
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => {
                    const check = n.any.concat(n.all, n.none)[0];
                    return n.target.join(" ") + (check ? " - " + check.message : "");
                }),
            }));
        }"""
    )


def _audit(browser, live_server, paths, sign_in=None, prefix=""):
    """Every path at both widths and themes; returns (serious, moderate) lists."""
    serious, moderate = [], []
    ARTIFACTS.mkdir(exist_ok=True)
    for theme in THEMES:
        for width in WIDTHS:
            context = browser.new_context(
                base_url=live_server.url,
                viewport={"width": width, "height": 900},
                color_scheme=theme,
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            if sign_in:
                sign_in(page)
            for name, path in paths:
                page.goto(path)
                page.wait_for_load_state("networkidle")
                for violation in _axe(page):
                    where = f"{prefix}{name} {width}px {theme}"
                    line = (
                        f"{where}: {violation['impact']} {violation['id']}"
                        f" ({violation['help']}) at {violation['targets']}"
                    )
                    (serious if violation["impact"] in FAILING else moderate).append(line)
                if theme == "light":
                    page.screenshot(
                        path=str(ARTIFACTS / f"a11y-{prefix}{name}-{width}.png"), full_page=True
                    )
            context.close()
    return serious, moderate


def _form_sign_in(user, login_path="/login/", button="Sign in"):
    def sign_in(page):
        page.goto(login_path)
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=button).click()
        page.wait_for_url(lambda url: "login" not in url)

    return sign_in


def _report(serious, moderate):
    counts = Counter(line.split(": ", 1)[1].split(" (")[0] for line in moderate)
    print(f"\naxe: {len(serious)} serious/critical, {len(moderate)} moderate/minor {dict(counts)}")
    for line in moderate:
        print("  ", line)
    assert not serious, "\n".join(serious)


def test_signed_out_pages_have_no_serious_violations(browser, live_server, scene):
    title, collection = scene["title"], scene["collection"]
    paths = [
        ("home", "/"),
        ("browse", "/titles/"),
        ("search", "/titles/?q=film+numbr"),
        ("browse-page-2", "/titles/?page=2&sort=-ratings_count"),
        ("title", title.get_absolute_url()),
        ("collections", "/collections/"),
        ("collection", collection.get_absolute_url()),
        ("profile", scene["other"].get_absolute_url()),
        ("person", scene["director"].get_absolute_url()),
        ("diary", f"/u/{scene['viewer'].username}/diary/"),
        ("following", f"/u/{scene['viewer'].username}/following/"),
        ("login", "/login/"),
        ("signup", "/signup/"),
        ("password-reset", "/password-reset/"),
        ("not-found", "/no-such-page/"),
    ]
    _report(*_audit(browser, live_server, paths, prefix="out-"))


def test_member_pages_have_no_serious_violations(browser, live_server, scene):
    viewer, title, collection = scene["viewer"], scene["title"], scene["collection"]
    unrated = scene["unrated"]
    review = Rating.objects.filter(user=scene["other"]).exclude(review="").first()
    paths = [
        ("home", "/"),
        ("browse", "/titles/?sort=-ratings_count"),
        ("title", title.get_absolute_url()),
        ("title-unrated", unrated.get_absolute_url()),
        ("rate", f"/titles/{title.pk}/rating/edit/"),
        ("profile", viewer.get_absolute_url()),
        ("soulmates", "/soulmates/"),
        ("recommendations", "/recommendations/"),
        ("tci", f"/taste/tci/{scene['other'].username}/"),
        ("psi", f"/taste/psi/{unrated.pk}/"),
        ("collections", "/collections/"),
        ("my-collections", "/collections/mine/"),
        ("collection", collection.get_absolute_url()),
        ("collection-new", "/collections/new/"),
        ("collection-edit", f"/collections/{collection.pk}/edit/"),
        ("add-to-collection", f"/collections/add-title/{unrated.pk}/"),
        ("report", f"/report/review/{review.pk}/"),
        ("settings", "/account/"),
        ("import", "/account/import/"),
        (
            "import-preview",
            scene["import"].get_absolute_url() + "?show=unmatched&find_line=2&find=film+numbr+3",
        ),
        ("password-change", "/account/password/"),
        ("watchlist", "/watchlist/"),
        ("diary", f"/u/{viewer.username}/diary/"),
        ("person", scene["director"].get_absolute_url()),
        ("following", f"/u/{viewer.username}/following/"),
        ("followers", f"/u/{viewer.username}/followers/"),
        ("notifications", "/notifications/"),
        ("account-delete", "/account/delete/"),
    ]
    _report(*_audit(browser, live_server, paths, _form_sign_in(viewer), prefix="member-"))


def test_admin_pages_have_no_serious_violations(browser, live_server, scene):
    from moderation.models import Case

    case = Case.objects.get()
    paths = [
        ("admin-index", "/admin/"),
        ("admin-queue", "/admin/moderation/case/"),
        ("admin-case", case.get_admin_url()),
        ("admin-reports", "/admin/moderation/report/"),
        ("admin-actions", "/admin/moderation/moderationaction/"),
        ("admin-suspensions", "/admin/moderation/suspension/"),
        ("admin-ratings", "/admin/ratings/rating/"),
    ]
    sign_in = _form_sign_in(scene["moderator"], "/admin/login/", "Log in")
    _report(*_audit(browser, live_server, paths, sign_in, prefix="mod-"))
