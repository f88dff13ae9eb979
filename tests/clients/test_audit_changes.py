"""An audit entry's before and after, as the changed fields a person reads."""

from clients.audit_changes import MISSING, Change, changes


def test_only_what_differs_is_listed_by_path():
    before = {"name": "FY2026", "vision": "x", "ends_on": "2026-12-31"}
    after = {"name": "FY2026", "vision": "y", "ends_on": "2027-03-31"}

    assert changes(before, after) == [
        Change("vision", "x", "y"),
        Change("ends_on", "2026-12-31", "2027-03-31"),
    ]


def test_items_with_a_key_are_matched_by_key_not_position():
    # A KPI inserted first does not make the two after it look changed.
    before = {"kpis": [{"key": "mrr", "must": "500"}, {"key": "leads", "must": "10"}]}
    after = {
        "kpis": [
            {"key": "arpa", "must": "3"},
            {"key": "mrr", "must": "650"},
            {"key": "leads", "must": "10"},
        ]
    }

    assert changes(before, after) == [
        Change("kpis[mrr].must", "500", "650"),
        Change("kpis[arpa]", MISSING, {"key": "arpa", "must": "3"}),
    ]


def test_other_lists_are_matched_by_position():
    assert changes({"tags": ["a", "b"]}, {"tags": ["a", "c", "d"]}) == [
        Change("tags[1]", "b", "c"),
        Change("tags[2]", MISSING, "d"),
    ]


def test_a_created_object_lists_each_field_as_added():
    assert changes(None, {"name": "Kumo", "industry": "Cloud"}) == [
        Change("name", MISSING, "Kumo"),
        Change("industry", MISSING, "Cloud"),
    ]
    assert changes({"name": "Kumo"}, None) == [Change("name", "Kumo", MISSING)]


def test_a_value_turned_into_an_object_is_one_change():
    assert changes({"x": None}, {"x": {"y": 1}}) == [Change("x", None, {"y": 1})]
