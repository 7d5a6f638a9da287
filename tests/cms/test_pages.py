import pytest

from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from cms.models import HomePage, SiteSettings

pytestmark = pytest.mark.django_db


def test_home_page_renders_with_council_details(client):
    site = Site.objects.get(is_default_site=True)
    settings = SiteSettings.for_site(site)
    settings.council_name = "Testshire Council"
    settings.contact_email = "equality@testshire.example"
    settings.contact_phone = "0100 000 0000"
    settings.accessibility_statement_url = "https://testshire.example/accessibility"
    settings.save()
    home = HomePage.objects.get()
    home.intro = "We listen, we answer."
    home.body = [("call_out", {"heading": "Formats", "text": "<p>Large print</p>"})]
    home.save_revision().publish()

    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Testshire Council" in body
    assert "We listen, we answer." in body
    assert "govuk-inset-text" in body
    assert "mailto:equality@testshire.example" in body
    assert "0100 000 0000" in body
    assert "https://testshire.example/accessibility" in body
    assert "large print, Braille, audio or other languages" in body
    assert 'href="#main-content"' in body
    assert "Sign in" in body


class TestHomePageRules(WagtailPageTestCase):
    def test_home_page_can_only_sit_at_the_root(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertCanNotCreateAt(HomePage, HomePage)


def test_not_found_page_is_in_site_style(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "govuk-template" in response.content.decode()


def test_robots_and_sitemap(client):
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in robots
    assert "Sitemap: http://testserver/sitemap.xml" in robots
    assert client.get("/sitemap.xml").status_code == 200


def test_server_error_page_renders_without_the_request(rf):
    from cms.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_service_navigation_lists_menu_pages_and_marks_the_current_section(client):
    from board.models import BoardIndexPage

    home = HomePage.objects.get()
    board = BoardIndexPage(title="Our board", slug="board", show_in_menus=True)
    home.add_child(instance=board)
    board.save_revision().publish()
    hidden = BoardIndexPage(title="Not in menu", slug="hidden", show_in_menus=False)
    home.add_child(instance=hidden)
    hidden.save_revision().publish()

    body = client.get("/").content.decode()
    assert 'class="govuk-service-navigation__link" href="/board/"' in body
    assert "Not in menu" not in body.split('id="navigation"')[1].split("</ul>")[0]
    board_body = client.get("/board/").content.decode()
    assert "govuk-service-navigation__item--active" in board_body
    assert 'aria-current="page">Our board' in board_body
