"""The design system's template helpers: icons, people, money, moments, SLA countdowns and human labels.
Every template shows values through these, so "mid_market", "340000.00" and bare UTC stamps never reach a
person."""

from datetime import datetime
from decimal import Decimal

from django import template
from django.templatetags.static import static
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from accounts.choices import Function, Role
from crm.choices import CampaignStatus, Channel, InteractionChannel, Segment
from leads.choices import Stage

register = template.Library()

LABELS = {
    "stage": Stage,
    "segment": Segment,
    "function": Function,
    "role": Role,
    "channel": Channel,
    "interaction": InteractionChannel,
    "campaign_status": CampaignStatus,
}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$"}


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (a dict keyed by a variable); None when absent."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """An icon from the vendored sprite; decorative unless given a label for screen readers."""
    sprite = static("vendor/lucide/sprite.svg")
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}"><use href="{}#i-{}"></use></svg>', label, sprite, name
        )
    return format_html('<svg class="icon" aria-hidden="true"><use href="{}#i-{}"></use></svg>', sprite, name)


@register.filter
def person(user, empty: str = "—") -> str:
    """A user's full name, else username; `empty` when there is nobody (a lead in a team's queue)."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()


@register.filter
def label(value, kind: str) -> str:
    """The human label of a stored choice ("mid_market" → "Mid-market"); unknown values shown as they are."""
    if value in (None, ""):
        return "—"
    choices = LABELS[kind]
    return choices(value).label if value in choices.values else str(value)


@register.filter
def money(value, currency: str = "USD") -> str:
    """$340,000 — whole amounts without cents, others with two decimals, and the currency always shown."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    currency = currency or "USD"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def _span(delta_seconds: float) -> str:
    seconds = abs(int(delta_seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            whole, rest = divmod(seconds, size)
            if unit == "d" and rest >= 3600 and whole < 3:
                return f"{whole} d {rest // 3600} h"
            if unit == "h" and rest >= 60 and whole < 10:
                return f"{whole} h {rest // 60} min"
            return f"{whole} {unit}"
    return "less than a minute"


def relative(moment: datetime, now: datetime | None = None) -> str:
    delta = (moment - (now or timezone.now())).total_seconds()
    return f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"


@register.filter
def when(moment) -> str:
    """Absolute (in the reader's zone) and relative: "26 Nov 2026, 14:05 · 3 h ago"; the ISO time is kept
    for machines and the title."""
    if not moment:
        return "—"
    if not isinstance(moment, datetime):
        days = (moment - timezone.localdate()).days
        near = {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days)
        near = near or (f"in {days} d" if days > 0 else f"{-days} d ago")
        return format_html(
            '<time datetime="{}">{} <span class="muted">· {}</span></time>',
            moment.isoformat(),
            date_format(moment, "j M Y"),
            near,
        )
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="muted">· {}</span></time>',
        moment.isoformat(),
        date_format(local, "Y-m-d H:i T"),
        date_format(local, "j M Y, H:i"),
        relative(moment),
    )


@register.filter
def countdown(due) -> str:
    """An SLA clock as words and an icon, never colour alone: "due in 3 h 20 min" or "overdue by 2 d"."""
    if not due:
        return format_html('<span class="muted">no deadline</span>')
    delta = (due - timezone.now()).total_seconds()
    if delta < 0:
        return format_html('<span class="sla overdue">{}overdue by {}</span>', icon("triangle-alert"), _span(delta))
    css = "sla soon" if delta < 4 * 3600 else "sla"
    return format_html('<span class="{}">{}due in {}</span>', css, icon("clock"), _span(delta))


@register.inclusion_tag("ui/empty.html")
def empty_state(message: str, action_url: str = "", action_label: str = "", icon_name: str = "circle-check"):
    """What an empty list says, and what to do next."""
    return {"message": message, "action_url": action_url, "action_label": action_label, "icon_name": icon_name}
