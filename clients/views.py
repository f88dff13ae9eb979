"""Where a signed-in person lands: a consultancy member in the admin, a client's person in the
portal, anyone else (an account with no role yet) on a page that says so."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    user = request.user
    if user.is_staff:  # consultancy members (and the platform's operators)
        return redirect("admin:index")
    if user.client_memberships.exists():
        return redirect("portal:picker")
    return render(request, "clients/home.html", {})
