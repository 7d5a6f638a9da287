import pytest


@pytest.fixture
def release_at_once(settings):
    """Release each response into the results as it is submitted (a batch of one).

    For tests about what a response stores; tests/surveys/test_release.py covers the batches.
    """
    settings.SURVEY_RELEASE_BATCH = 1
