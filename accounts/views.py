from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import WorkerHeartbeat
from config.health import check_broker, check_database


def login_locked_out(request, response=None, credentials=None):  # noqa: ARG001 - django-axes's lockout callable
    """The log-in page again, saying why and for how long, when django-axes refuses a locked-out username or
    address (429: a client may tell a lockout from a wrong password)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")}),
        "locked_out_minutes": minutes,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "accounts/login.html", context, status=429)


@login_required
def system_status(request):
    """For administrators only: can this deployment reach its database and broker, and do jobs run?"""
    if not request.user.is_administrator:
        raise PermissionDenied("System status is for administrators.")
    context = {
        "heartbeats": list(WorkerHeartbeat.objects.order_by("name")),
        "checks": [("Database", check_database()), ("Broker", check_broker())],
    }
    return render(request, "accounts/system_status.html", context)


@login_required
@require_POST
def notifications_read(request):
    services.notifications_mark_read(user=request.user)
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("home")
