from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.models import WorkerHeartbeat


@login_required
def home(request):
    heartbeat = WorkerHeartbeat.objects.filter(name="beat").first()
    unread = list(selectors.notification_list(user=request.user, unread_only=True)[:50])
    return render(request, "accounts/home.html", {"heartbeat": heartbeat, "notifications": unread})


@login_required
@require_POST
def notifications_read(request):
    services.notifications_mark_read(user=request.user)
    return redirect("home")
