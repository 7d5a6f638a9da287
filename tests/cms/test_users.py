import pytest

from cms.models import User

pytestmark = pytest.mark.django_db


def test_people_sign_in_with_email_and_have_no_username():
    user = User.objects.create_user(email="Someone@Example.ORG", password="x" * 16)
    assert user.email == "Someone@example.org"
    assert not hasattr(user, "username") or user.username is None
    assert User.USERNAME_FIELD == "email"
    assert str(user) == "Someone@example.org"
    user.first_name, user.last_name = "Ada", "Okoro"
    assert str(user) == "Ada Okoro"
    assert not user.is_staff and not user.is_superuser


def test_superuser_and_refusals():
    admin = User.objects.create_superuser(email="admin@example.org", password="x" * 16)
    assert admin.is_staff and admin.is_superuser
    with pytest.raises(ValueError):
        User.objects.create_user(email="", password="x")
    with pytest.raises(ValueError):
        User.objects.create_superuser(email="a@example.org", password="x", is_superuser=False)
