from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import WorkerHeartbeat


@login_required
def home(request):
    heartbeat = WorkerHeartbeat.objects.filter(name="beat").first()
    return render(request, "accounts/home.html", {"heartbeat": heartbeat})
