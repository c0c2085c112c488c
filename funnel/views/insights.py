"""The insight digest's page: a week's or month's top objections, competitors, needs and feedback, overall or
within one slice, against the period before, with example quotes and what marketing did about each item."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.db_router import reads_from_replica
from config.errors import DomainError
from crm.choices import TagKind, TagStatus
from crm.models import Campaign, Collateral, Tag
from funnel.forms import add_service_errors
from funnel.insight import periods, selectors, services
from funnel.insight.choices import Dimension, PeriodKind
from funnel.views.common import error_message

KIND_ORDER = [TagKind.OBJECTION, TagKind.COMPETITOR, TagKind.NEED, TagKind.FEEDBACK]
KIND_HEADINGS = {
    TagKind.OBJECTION: "Top objections",
    TagKind.COMPETITOR: "Competitors mentioned",
    TagKind.NEED: "Needs",
    TagKind.FEEDBACK: "Product feedback",
}
RECENT = {PeriodKind.WEEK: 12, PeriodKind.MONTH: 13}


class PeriodForm(forms.Form):
    period_kind = forms.ChoiceField(choices=PeriodKind.choices, required=False)
    period_start = forms.DateField(required=False)
    slice = forms.CharField(max_length=80, required=False)

    def clean(self):
        data = super().clean()
        kind = data.get("period_kind") or PeriodKind.WEEK
        data["period_kind"] = kind
        if data.get("period_start"):
            try:
                periods.period_check(period_kind=kind, period_start=data["period_start"], today=timezone.localdate())
            except ValidationError as exc:
                add_service_errors(self, exc)
        dimension, _, value = (data.get("slice") or Dimension.ALL).partition(":")
        if dimension not in Dimension.values or (dimension == Dimension.ALL) != (value == ""):
            self.add_error("slice", f"{data.get('slice')!r} is not a slice; pick one from the list.")
        data["dimension"], data["value"] = dimension, value
        return data


class ResponseForm(forms.Form):
    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), label="Insight (tag)")
    collateral = forms.ModelChoiceField(queryset=Collateral.objects.order_by("title"), required=False)
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("name"), required=False)
    note = forms.CharField(
        max_length=500, required=False, label="What we did about it", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tags = Tag.objects.filter(kind__in=services.COUNTED_KINDS, status=TagStatus.ACCEPTED)
        self.fields["tag"].queryset = tags.order_by("kind", "label")


def _default_start(kind: str, today):
    """The latest computed digest of the kind, else the last complete period."""
    latest = selectors.digest_list().filter(period_kind=kind, period_start__lte=today).first()
    if latest is not None:
        return latest.period_start
    return periods.previous_start(period_kind=kind, period_start=periods.period_containing(period_kind=kind, day=today))


def _page_url(kind: str, start, slice_: str = "") -> str:
    query = {"period_kind": kind, "period_start": start.isoformat(), **({"slice": slice_} if slice_ else {})}
    return f"{reverse('insights')}?{urlencode(query)}"


@login_required
@reads_from_replica
def insights(request, response_form: ResponseForm | None = None, status: int = 200):
    source = request.POST if request.method == "POST" else request.GET
    form = PeriodForm(source)
    today = timezone.localdate()
    if not form.is_valid():
        context = {"form": form, "errors": form.errors, "kinds": PeriodKind.choices}
        return render(request, "funnel/insights.html", context, status=400)
    kind = form.cleaned_data["period_kind"]
    start = form.cleaned_data["period_start"] or _default_start(kind, today)
    dimension, value = form.cleaned_data["dimension"], form.cleaned_data["value"]
    digest = selectors.digest_get(period_kind=kind, period_start=start)
    computed = set(selectors.digest_list().filter(period_kind=kind).values_list("period_start", flat=True))
    recent = periods.recent_starts(period_kind=kind, today=today, count=RECENT[kind])
    if start not in recent:
        recent.append(start)
    context = {
        "form": form,
        "kind": kind,
        "kinds": PeriodKind.choices,
        "today": today,
        "start": start,
        "last_day": periods.next_start(period_kind=kind, period_start=start) - timedelta(days=1),
        "recent": [(s, s in computed) for s in recent],
        "digest": digest,
        "slice": form.cleaned_data.get("slice") or "",
        "may_compute": request.user.is_superuser or request.user.role in services.COMPUTERS,
        "may_respond": request.user.is_superuser or request.user.role in services.RESPONDERS,
        "response_form": response_form or ResponseForm(),
        "next": _page_url(kind, start, form.cleaned_data.get("slice") or ""),
    }
    if digest is not None:
        context.update(_digest_context(digest, dimension, value))
    return render(request, "funnel/insights.html", context, status=status)


def _digest_context(digest, dimension: str, value: str) -> dict:
    tops = selectors.digest_top(digest=digest, dimension=dimension, value=value)
    tag_ids = [item.tag.pk for items in tops.values() for item in items]
    responses = selectors.insight_responses_by_tag(tag_ids=tag_ids)
    sections = [
        {"kind": kind, "heading": KIND_HEADINGS[kind], "items": [(i, responses.get(i.tag.pk, [])) for i in tops[kind]]}
        for kind in KIND_ORDER
    ]
    slices = selectors.digest_slices(digest=digest)
    dimension_labels = dict(Dimension.choices)
    slice_groups = [
        (dimension_labels[d], [(f"{d}:{v}", label) for v, label in slices[d]]) for d in Dimension.values if d in slices
    ]
    slice_label = dict(slices.get(dimension, [])).get(value, "")
    return {"sections": sections, "slice_groups": slice_groups, "slice_label": slice_label}


@login_required
@require_POST
def insights_compute(request):
    form = PeriodForm(request.POST)
    if not form.is_valid() or not form.cleaned_data.get("period_start"):
        if form.is_valid():
            form.add_error("period_start", "Give the period's first day.")
        context = {"form": form, "errors": form.errors, "kinds": PeriodKind.choices}
        return render(request, "funnel/insights.html", context, status=400)
    kind, start = form.cleaned_data["period_kind"], form.cleaned_data["period_start"]
    try:
        digest = services.digest_compute_for(user=request.user, period_kind=kind, period_start=start)
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
        return redirect(_page_url(kind, start))
    messages.success(request, f"Digest computed: {digest.report_count} call reports.")
    return redirect(_page_url(kind, start, form.cleaned_data.get("slice") or ""))


@login_required
@require_POST
def insight_response_add(request):
    form = ResponseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.insight_response_create(
                user=request.user,
                tag_id=data["tag"].pk,
                collateral_id=data["collateral"].pk if data["collateral"] else None,
                campaign_id=data["campaign"].pk if data["campaign"] else None,
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
            error_message(request, exc)  # a caller without the form sees it too
        else:
            messages.success(request, f"Response to “{data['tag'].label}” recorded.")
            return redirect(_page_url(*_period_of(request)))
    return insights(request, response_form=form, status=400)


def _period_of(request) -> tuple:
    form = PeriodForm(request.POST)
    if form.is_valid() and form.cleaned_data.get("period_start"):
        return form.cleaned_data["period_kind"], form.cleaned_data["period_start"], form.cleaned_data.get("slice", "")
    kind = PeriodKind.WEEK
    return kind, _default_start(kind, timezone.localdate()), ""
