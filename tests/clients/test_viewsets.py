"""The client-scoped base viewset cannot be bypassed by a subclass."""

import pytest

from clients.viewsets import ClientScopedViewSet


@pytest.mark.parametrize("method", ["get_queryset", "initial"])
def test_a_subclass_may_not_override_the_scoping(method):
    with pytest.raises(TypeError, match=method):
        type("Leaky", (ClientScopedViewSet,), {method: lambda self, *a, **k: None})
