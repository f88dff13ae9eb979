"""Serializer fields that take text only.

DRF's ``CharField`` turns a number into its text (``{"slug": 0}`` becomes ``"0"``); the schema
says these fields are strings, and a partner who sends a number has made a mistake worth
hearing about. These fields refuse anything but a string, and ``TextOnlyModelSerializer`` uses
them for every text column of a model.
"""

from django.db import models
from rest_framework import serializers


class TextOnlyMixin:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")  # "Not a valid string."
        return super().to_internal_value(data)


class TextField(TextOnlyMixin, serializers.CharField):
    pass


class SlugTextField(TextOnlyMixin, serializers.SlugField):
    pass


class RegexTextField(TextOnlyMixin, serializers.RegexField):
    pass


class URLTextField(TextOnlyMixin, serializers.URLField):
    pass


class EmailTextField(TextOnlyMixin, serializers.EmailField):
    pass


class TextOnlyModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.SlugField: SlugTextField,
        models.URLField: URLTextField,
        models.EmailField: EmailTextField,
    }
