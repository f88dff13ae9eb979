"""Pages of the shell every signed-in person lands on."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    memberships = request.user.consultancy_memberships.select_related("consultancy")
    return render(request, "clients/home.html", {"memberships": memberships})
