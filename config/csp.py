"""The Content-Security-Policy, with one exception for the consultants' admin.

Every page allows only the site's own scripts and styles, and no inline script or style. The
admin's theme (django-unfold) runs Alpine.js, whose standard build evaluates its expressions
(``'unsafe-eval'``), and sets a few inline style attributes: under ``/admin/`` those two are
allowed as well, for signed-in staff only. The client portal and everything else keeps the
strict policy.
"""

from csp.constants import UNSAFE_EVAL, UNSAFE_INLINE
from csp.middleware import CSPMiddleware

ADMIN_PREFIX = "/admin/"
ADMIN_ALLOWANCES = {"script-src": [UNSAFE_EVAL], "style-src": [UNSAFE_INLINE]}


class WaypointCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only or not request.path_info.startswith(ADMIN_PREFIX):
            return parts  # (the user is only looked at under /admin/: no session load here)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            parts.update = {**(parts.update or {}), **ADMIN_ALLOWANCES}
        return parts
