from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.accounts.permissions import restrict
from apps.clusters.models import Cluster


@login_required
def dashboard(request):
    clusters = restrict(Cluster.objects.select_related("team"), request.user)
    return render(request, "core/dashboard.html", {"clusters": clusters})
