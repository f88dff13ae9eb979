"""Production security settings: `manage.py check --deploy` is clean once they are configured."""

import pytest

from tests.helpers import embedded_env, manage

pytestmark = pytest.mark.slow

PRODUCTION = {
    "WAYPOINT_HTTPS": "true",
    "SECRET_KEY": "k8Jf2-very-long-random-production-key-9aQ1x7Vb3Nz5Lp0Rt4Yw6Ue8Ic2Os4Dm",
    "ALLOWED_HOSTS": "waypoint.example.com",
}


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    checked = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=embedded_env(tmp_path, **PRODUCTION)
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


def test_deploy_check_warns_without_them(tmp_path):
    # The demo's plain-http defaults are not production settings, and the check says so.
    checked = manage("check", "--deploy", "--fail-level", "WARNING", env=embedded_env(tmp_path))

    assert checked.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in checked.stderr
