"""The custom user model: e-mail is the login name."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

pytestmark = pytest.mark.django_db


def test_user_model_is_the_custom_one():
    assert get_user_model()._meta.label == "clients.User"
    assert get_user_model().USERNAME_FIELD == "email"


def test_create_user_lowercases_the_address_and_hashes_the_password():
    user = get_user_model().objects.create_user("Ken@Example.COM", "s3cret-enough")

    assert user.email == "ken@example.com"
    assert user.password != "s3cret-enough"
    assert user.check_password("s3cret-enough")
    assert not user.is_staff
    assert not user.is_superuser


def test_the_same_address_in_another_case_is_refused():
    get_user_model().objects.create_user("ken@example.com")
    User = get_user_model()

    # Written directly, bypassing the manager's normalisation: the database still refuses it.
    with pytest.raises(IntegrityError):
        User(email="KEN@example.com").save()


def test_create_superuser():
    user = get_user_model().objects.create_superuser("root@example.com", "x" * 12)

    assert user.is_staff
    assert user.is_superuser
