"""Reads of the insight digest: a period's digest, its top items overall or within a slice, the slices it has,
and what marketing did about each tag."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from crm.choices import Segment, Stage
from crm.models import Campaign, Tag
from funnel.insight.choices import Dimension
from funnel.insight.models import Digest, DigestCount, InsightResponse
from funnel.insight.services import COUNTED_KINDS, TOP


@dataclass(frozen=True)
class Item:
    """One tag's line in a digest slice: how many reports carried it, and how many the period before."""

    tag: Tag
    count: int
    previous_count: int
    quotes: tuple[dict, ...] = ()

    @property
    def change(self) -> int:
        return self.count - self.previous_count

    @property
    def is_new(self) -> bool:
        return self.previous_count == 0 and self.count > 0

    @property
    def change_label(self) -> str:
        """How the count moved against the previous period: "new", "+3", "±0", or a drop with a minus sign."""
        if self.is_new:
            return "new"
        if self.change > 0:
            return f"+{self.change}"
        return f"−{-self.change}" if self.change else "±0"


def digest_list() -> QuerySet[Digest]:
    return Digest.objects.all()


def digest_get(*, period_kind: str, period_start: date) -> Digest | None:
    return Digest.objects.filter(period_kind=period_kind, period_start=period_start).first()


def digest_counts(*, digest: Digest, dimension: str | None = None, value: str | None = None) -> QuerySet[DigestCount]:
    counts = DigestCount.objects.filter(digest=digest).select_related("tag")
    if dimension is not None:
        counts = counts.filter(dimension=dimension)
    if value is not None:
        counts = counts.filter(value=value)
    return counts.order_by("dimension", "value", "-count", "tag__label", "tag_id")


def digest_top(
    *, digest: Digest, dimension: str = Dimension.ALL, value: str = "", top: int = TOP
) -> dict[str, list[Item]]:
    """Each counted kind's `top` tags of the slice by this period's count (ties by label), with their quotes.
    A tag the period lost entirely is left out: the list is what was heard, its change says how it moved."""
    tops: dict[str, list[Item]] = {str(kind): [] for kind in COUNTED_KINDS}
    for row in digest_counts(digest=digest, dimension=dimension, value=value).filter(count__gt=0):
        items = tops.setdefault(row.tag.kind, [])
        if len(items) < top:
            quotes = tuple(digest.quotes.get(str(row.tag_id), ()))
            items.append(Item(row.tag, row.count, row.previous_count, quotes))
    return tops


def digest_top_by_segment(*, digest: Digest, segments: list[str], top: int) -> dict[str, dict[str, list[Item]]]:
    """digest_top for several segments in one query."""
    tops: dict[str, dict[str, list[Item]]] = {s: {str(k): [] for k in COUNTED_KINDS} for s in segments}
    rows = digest_counts(digest=digest, dimension=Dimension.SEGMENT).filter(value__in=segments, count__gt=0)
    for row in rows:
        items = tops[row.value][row.tag.kind]
        if len(items) < top:
            items.append(Item(row.tag, row.count, row.previous_count, tuple(digest.quotes.get(str(row.tag_id), ()))))
    return tops


def digest_segments(*, digest: Digest) -> list[str]:
    """The segments the digest concerns: those with reports carrying a counted tag this period."""
    rows = DigestCount.objects.filter(digest=digest, dimension=Dimension.SEGMENT, count__gt=0)
    return sorted(set(rows.values_list("value", flat=True)))


def digest_slices(*, digest: Digest) -> dict[str, list[tuple[str, str]]]:
    """Every slice the digest has, per dimension, as (value, label) sorted by label."""
    pairs = DigestCount.objects.filter(digest=digest).exclude(dimension=Dimension.ALL)
    values: dict[str, set[str]] = {}
    for dimension, value in pairs.values_list("dimension", "value").distinct():
        values.setdefault(dimension, set()).add(value)
    labels = slice_labels(values)
    return {
        dimension: sorted(((v, labels[dimension].get(v, v)) for v in found), key=lambda pair: pair[1].lower())
        for dimension, found in values.items()
    }


def slice_labels(values: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Readable names of slice values: segment and stage labels, campaign names, product tag labels."""
    ids = {dim: [int(v) for v in values.get(dim, ()) if v.isdigit()] for dim in (Dimension.CAMPAIGN, Dimension.PRODUCT)}
    return {
        Dimension.SEGMENT: dict(Segment.choices),
        Dimension.STAGE: dict(Stage.choices),
        Dimension.CAMPAIGN: {
            str(pk): name
            for pk, name in Campaign.objects.filter(pk__in=ids[Dimension.CAMPAIGN]).values_list("pk", "name")
        },
        Dimension.PRODUCT: {
            str(pk): label for pk, label in Tag.objects.filter(pk__in=ids[Dimension.PRODUCT]).values_list("pk", "label")
        },
    }


def insight_response_list(*, tag_ids: list[int] | None = None) -> QuerySet[InsightResponse]:
    responses = InsightResponse.objects.select_related("tag", "collateral", "campaign", "created_by")
    if tag_ids is not None:
        responses = responses.filter(tag_id__in=tag_ids)
    return responses


def insight_responses_by_tag(*, tag_ids: list[int]) -> dict[int, list[InsightResponse]]:
    by_tag: dict[int, list[InsightResponse]] = {}
    for response in insight_response_list(tag_ids=tag_ids):
        by_tag.setdefault(response.tag_id, []).append(response)
    return by_tag
