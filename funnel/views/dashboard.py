"""The managers' joint-metrics dashboard: the funnel with its conversions, trends, time in stage, handoffs and
SLA both ways, money, campaign return by attribution model, the shared target and the integration level — for
a period and one slice, both in the URL. Every number links to the leads behind it (those the reader may see);
every chart has its table and CSV. Anyone signed in reads it, as the metrics API; the menu offers it to managers.
Reads go to the replica when one is configured."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from config.db_router import reads_from_replica
from config.errors import DomainError
from config.validation import whole_number
from crm.choices import Channel, Segment
from crm.models import Campaign
from funnel.diagnostic.selectors import assessment_latest
from funnel.metrics import dashboard as board
from funnel.metrics.choices import COUNTS_HANDOFFS, METRIC_LABELS, Dimension, PeriodKind
from funnel.metrics.periods import Period
from funnel.metrics.selectors import drills, metric_leads, snapshot_get
from funnel.metrics.services import metric_job_request
from funnel.targets.selectors import target_active, target_attainment
from funnel.views import dashboard_charts as charts
from leads.choices import Stage

PERIOD_KINDS = [PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]
# A version's numbers never change; names in them (a campaign's, a stage's label) may, so a copy lives 10 minutes.
BOARD_CACHE_SECONDS = 600


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"start": f"{text[:30]!r} is not a date; use YYYY-MM-DD."}) from None


def _choices(period: Period) -> dict:
    """What the filter form offers: recent periods of the kind, and the slices."""
    starts = board.recent_periods(period, board.TREND_PERIODS)
    return {
        "kinds": [(k.value, k.label) for k in PERIOD_KINDS],
        "starts": [p.start for p in reversed(starts)],
        "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        "segments": Segment.choices,
        "campaigns": list(Campaign.objects.order_by("-starts_on", "name").values_list("pk", "name")[:200]),
        "channels": Channel.choices,
    }


def _read_filters(request: HttpRequest) -> tuple[Period, board.Slice, dict]:
    today = timezone.localdate()
    errors: dict = {}
    try:
        period = board.period_from(
            kind=request.GET.get("period", PeriodKind.MONTH), start=_day(request.GET.get("start")), today=today
        )
    except ValidationError as error:
        errors.update(error.message_dict)
        period = board.period_from(kind=PeriodKind.MONTH, start=today, today=today)
    try:
        slice_ = board.slice_from(request.GET)
    except ValidationError as error:
        errors.update(error.message_dict)
        slice_ = board.Slice()
    return period, slice_, errors


def _slice_label(slice_: board.Slice) -> str:
    """The slice in words: a segment's or channel's label, a team's or campaign's name (at most one lookup)."""
    if slice_.dimension == Dimension.ALL:
        return "the whole company"
    labels = {Dimension.SEGMENT: dict(Segment.choices), Dimension.CHANNEL: dict(Channel.choices)}
    model = {Dimension.TEAM: Team, Dimension.CAMPAIGN: Campaign}.get(slice_.dimension)
    pk = whole_number(slice_.value)  # a drill-down's value comes from its URL as it is
    if model is not None and pk is not None:
        name = model.objects.filter(pk=pk).values_list("name", flat=True).first()
    else:  # owner, key account and source are drilled into from the API only: named by their value
        name = labels.get(slice_.dimension, {}).get(slice_.value)
    return f"{Dimension(slice_.dimension).label.lower()} {name or slice_.value}"


def _target(period: Period) -> dict | None:
    target = target_active(on=period.start)
    if target is None:
        return None
    return {"target": target, "attainment": target_attainment(target=target)}


@login_required
@require_GET
@reads_from_replica
def metrics_dashboard(request: HttpRequest):
    period, slice_, errors = _read_filters(request)
    snapshots = board.dashboard_snapshots(period)
    choices = _choices(period)
    context = {
        "snapshot": snapshots.get(period.start),
        "board_html": _board_html(period, slice_, snapshots),
        "period": period,
        "period_last": period.end - timedelta(days=1),
        "slice": slice_,
        "slice_label": _slice_label(slice_),
        "errors": errors,
        "choices": choices,
        "query": request.GET.urlencode(),
        # What the filters show: the slices asked for, even when refused, so a correction is one change away.
        "chosen": {dim: request.GET.get(dim, "")[:100] for dim in board.SLICES},
        "target": _target(period),
        "assessment": assessment_latest(),
    }
    return render(request, "funnel/metrics_dashboard.html", context, status=400 if errors else 200)


def _board_html(period: Period, slice_: board.Slice, snapshots: dict) -> dict[str, str]:
    """The KPIs, charts and tables drawn from the stored numbers, for everyone: rendered once per version of the
    snapshots (board.dashboard_version), which were two thirds of the page's time (~1,800 template nodes)."""
    key = f"dashboard-page:{board.dashboard_version(period, slice_, snapshots)}"
    html = cache.get(key)
    if html is None:
        data = board.dashboard_read(period=period, slice=slice_, snapshots=snapshots)
        whole = slice_.dimension == Dimension.ALL
        returns = board.channel_returns(snapshots.get(period.start)) if whole else None
        context = {
            "drill": _drill_base(period, slice_),
            "charts": charts.dashboard_charts(data, channel_returns=returns),
            "sections": charts.dashboard_tables(data),
            "stages": board.STAGES,
        }
        html = {part: render_to_string(f"funnel/_metrics_{part}.html", context) for part in ("kpis", "board")}
        cache.set(key, html, BOARD_CACHE_SECONDS)
    # Our own templates' output, escaped when it was rendered.
    return {"kpis": mark_safe(html["kpis"]), "body": mark_safe(html["board"])}


def _drill_base(period: Period, slice_: board.Slice) -> str:
    """The drill-down URL's common part; each number appends its metric, stages and part."""
    base = reverse("metrics-leads")
    return f"{base}?period={period.kind}&start={period.start}&dimension={slice_.dimension}&value={slice_.value}"


@login_required
@require_GET
@reads_from_replica
def metrics_leads(request: HttpRequest):
    """The leads behind one number of the dashboard (its denominator's with part=denominator)."""
    q = request.GET
    try:
        period = board.period_from(kind=q.get("period", ""), start=_day(q.get("start")), today=timezone.localdate())
    except ValidationError as error:
        raise Http404(" ".join(m for ms in error.message_dict.values() for m in ms)) from None
    metric = q.get("metric", "")
    if metric not in drills():
        raise Http404(f"{metric[:40]!r} is not a metric with leads behind it.")
    dimension = q.get("dimension", Dimension.ALL)
    if dimension not in Dimension.values:
        raise Http404(f"{dimension[:20]!r} is not a dimension.")
    snapshot = snapshot_get(period=period)
    if snapshot is None:
        raise Http404(f"No {period.kind} starting {period.start} has been computed yet.")
    row = {k: q.get(k, "")[:100] for k in ("stage", "to_stage")}
    leads = metric_leads(
        user=request.user,
        snapshot=snapshot,
        metric=metric,
        dimension=dimension,
        dimension_value=q.get("value", "")[:100],
        denominator=q.get("part") == "denominator",
        **row,
    )
    page = Paginator(leads.order_by("-id"), 50).get_page(q.get("page"))
    slice_ = board.Slice(dimension, q.get("value", "")[:100])
    context = {
        "page": page,
        "metric": metric,
        "title": METRIC_LABELS.get(metric, metric),
        "counts_handoffs": metric in COUNTS_HANDOFFS,
        "period": period,
        "snapshot": snapshot,
        "row": {key: _row_label(value) for key, value in row.items()},
        "part": q.get("part", "value"),
        "slice_label": _slice_label(slice_),
        "back": _dashboard_url(period, slice_),
    }
    return render(request, "funnel/metrics_leads.html", context)


def _row_label(key: str) -> str:
    """A row's stage as people name it; handoff directions (functions) and currencies stay as they are."""
    return Stage(key).label if key in Stage.values else key


def _dashboard_url(period: Period, slice_: board.Slice) -> str:
    """The dashboard on the same period and slice (the way back from a drill-down keeps the filters)."""
    query = {"period": period.kind, "start": period.start.isoformat()}
    if slice_.dimension in board.SLICES:
        query[slice_.dimension] = slice_.value
    return f"{reverse('metrics-dashboard')}?{urlencode(query)}"


@login_required
@require_POST
def metrics_recompute(request: HttpRequest):
    """Queues a recompute of the dashboard's period and comes back to it; the job runs on the metrics queue."""
    period, _, errors = _read_filters(request)
    back = reverse("metrics-dashboard") + ("?" + request.GET.urlencode() if request.GET else "")
    if errors:
        messages.error(request, "Pick a period to recompute first.")
        return redirect(back)
    try:
        job = metric_job_request(user=request.user, period_kind=period.kind, period_starts=[period.start])
    except (DomainError, ValidationError) as error:
        messages.error(request, str(getattr(error, "message", error)))
        return redirect(back)
    messages.success(
        request, f"Recomputing {period.kind} of {period.start:%-d %b %Y} (job {job.pk}); reload in a moment."
    )
    return redirect(back)
