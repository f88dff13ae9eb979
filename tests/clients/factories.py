"""factory_boy factories for the tenancy models."""

import factory

from clients.models import Client, Consultancy, User
from clients.services.api_keys import api_key_create
from clients.services.people import client_member_set, consultancy_member_set


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ConsultancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultancy

    name = factory.Sequence(lambda n: f"Consultancy {n}")
    slug = factory.Sequence(lambda n: f"consultancy-{n}")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    consultancy = factory.SubFactory(ConsultancyFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.Sequence(lambda n: f"client-{n}")
    industry = "SaaS"


def member(consultancy, role, **user_fields):
    user = UserFactory(**user_fields)
    consultancy_member_set(consultancy=consultancy, user=user, role=role, actor=None)
    return user


def client_member(client, role, **user_fields):
    user = UserFactory(**user_fields)
    client_member_set(client=client, user=user, role=role, actor=None)
    return user


def api_key(consultancy, scopes, client=None, **fields):
    key, plain = api_key_create(
        consultancy=consultancy, client=client, scopes=scopes, name="test key", actor=None, **fields
    )
    return key, plain
