import pytest

from cms.models import HomePage
from tests.board.factories import BoardIndexPageFactory, YouSaidWeDidPageFactory


@pytest.fixture
def board_page(db):
    return BoardIndexPageFactory(parent=HomePage.objects.get())


@pytest.fixture
def you_said_page(board_page):
    page = YouSaidWeDidPageFactory(parent=board_page)
    page.save_revision().publish()
    return page


@pytest.fixture
def run_on_commit(monkeypatch):
    """Run on-commit callbacks (notification emails) at once inside the test transaction."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda callback, *a, **k: callback())
