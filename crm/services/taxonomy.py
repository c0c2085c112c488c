"""Managed taxonomies: the terms (objections, competitors, needs, product feedback, products) call reports
choose from. Administrators and managers curate them; anyone may suggest a term, which reports can carry at
once but which the insight digest counts only once a curator accepts it. A rejected term cannot be used.

Status moves: suggested → accepted (accept, or merge into an accepted term, which removes the suggestion and
keeps its wording as a synonym) or suggested → rejected. A curator's own suggestion is accepted at once.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from config.errors import NotAllowed, NotPending
from crm.choices import TagKind, TagStatus
from crm.models import CallReportTag, Tag

CURATORS = MANAGER_ROLES | {Role.ADMIN}
SUGGEST_URL = "/api/v1/tags/"  # where a client suggests a new term (POST kind and label)
SEARCH_LIMIT = 20
MAX_TAGS_PER_KIND = 20  # on one report: more is a list pasted in, not what was heard
MAX_SYNONYMS = 30
# Above this similarity two wordings are the same term ("Salesforce" / "SalesForce.com" / "salesforc").
NEAR_DUPLICATE = 0.85


def may_curate(user: User) -> bool:
    return user.is_superuser or user.role in CURATORS


def _curator(user: User) -> None:
    if not may_curate(user):
        raise NotAllowed("Administrators and managers curate the taxonomies; suggest a term and one of them decides.")


def _words(text: str) -> str:
    """A wording reduced to what tells terms apart: lower case, no accents or punctuation, single spaces."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# Words that do not tell two names apart: "Salesforce" and "Salesforce.com, Inc." are one competitor.
NOISE_WORDS = frozenset({"the", "com", "io", "net", "org", "inc", "ltd", "llc", "gmbh", "corp", "co"})


def _similar(a: str, b: str) -> bool:
    a, b = (" ".join(w for w in _words(text).split() if w not in NOISE_WORDS) for text in (a, b))
    if not a or not b:
        return False
    if a == b or a.replace(" ", "") == b.replace(" ", "") or a.rstrip("s") == b.rstrip("s"):
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= NEAR_DUPLICATE


def _kind(kind: str, field: str = "kind") -> str:
    if kind not in TagKind.values:
        raise ValidationError({field: f"{kind!r} is not a kind of term; use {', '.join(TagKind.values)}."})
    return kind


def tag_search(
    *, kind: str | None, q: str = "", user: User | None = None, limit: int | None = SEARCH_LIMIT
) -> list[Tag]:
    """Terms of `kind` (None: every kind) whose label, slug or a synonym contains `q` (any case): accepted terms
    first, then the caller's own suggestions; within each, labels that start with `q` before the rest. Empty
    `q`: all of them."""
    usable = Q(status=TagStatus.ACCEPTED)
    if user is not None:
        usable |= Q(status=TagStatus.SUGGESTED, suggested_by=user)
    tags = Tag.objects.filter(usable, kind=_kind(kind)) if kind else Tag.objects.filter(usable)
    q = q.strip()
    if q:
        # Synonyms are a short array: joined into one string, one ILIKE finds "too expensive" under price_value.
        synonyms = Func(F("synonyms"), Value("\n"), function="array_to_string", output_field=CharField())
        tags = tags.annotate(synonym_text=synonyms).filter(
            Q(label__icontains=q) | Q(slug__icontains=q) | Q(synonym_text__icontains=q)
        )
    starts = When(label__istartswith=q, then=Value(0)) if q else When(pk__isnull=False, then=Value(0))
    ranked = tags.annotate(
        accepted_first=Case(
            When(status=TagStatus.ACCEPTED, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        prefix_first=Case(starts, default=Value(1), output_field=IntegerField()),
    )
    ranked = ranked.select_related("suggested_by").order_by("accepted_first", "kind", "prefix_first", Lower("label"))
    return list(ranked[:limit] if limit else ranked)


def tag_curation_list(*, kind: str | None = None) -> QuerySet[Tag]:
    """Every term (of `kind`), each with `report_count`, the reports that carry it: the curation page's rows."""
    tags = Tag.objects.select_related("suggested_by", "decided_by").annotate(report_count=Count("report_links"))
    return tags.filter(kind=_kind(kind)) if kind else tags


def _near_duplicate(kind: str, wordings: Sequence[str], exclude: int | None = None) -> tuple[Tag, str] | None:
    for tag in Tag.objects.filter(kind=kind).exclude(pk=exclude).only("id", "slug", "label", "synonyms", "status"):
        for existing in (tag.label, tag.slug.replace("_", " "), *tag.synonyms):
            if any(_similar(wording, existing) for wording in wordings):
                return tag, existing
    return None


def _free_slug(kind: str, label: str) -> str:
    base = slugify(_words(label)).replace("-", "_")[:56] or "term"
    taken = set(Tag.objects.filter(kind=kind, slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    return slug


def _clean_synonyms(synonyms: Iterable[str], field: str = "synonyms") -> list[str]:
    cleaned: list[str] = []
    for synonym in synonyms:
        synonym = " ".join(str(synonym).split())
        if synonym and _words(synonym) not in {_words(s) for s in cleaned}:
            cleaned.append(synonym)
    if len(cleaned) > MAX_SYNONYMS or any(len(s) > 100 for s in cleaned):
        raise ValidationError({field: f"At most {MAX_SYNONYMS} synonyms of at most 100 characters each."})
    return cleaned


def tag_suggest(*, user: User, kind: str, label: str, synonyms: Iterable[str] = ()) -> Tag:
    """A new term of `kind`, suggested by `user` (accepted at once when `user` curates). Refused, naming the
    existing term, when the label or a synonym is a near-duplicate of any term of the kind: use that one."""
    _kind(kind)
    label = " ".join(label.split())
    if not _words(label):
        raise ValidationError({"label": "Name the term, with at least a letter or a digit."})
    if len(label) > 100:
        raise ValidationError({"label": "At most 100 characters."})
    synonyms = [s for s in _clean_synonyms(synonyms) if _words(s) != _words(label)]
    curator = may_curate(user)
    with transaction.atomic():
        # One suggestion of a kind at a time, so two reps typing the same new competitor get one term.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"crm.tag:{kind}"])
        duplicate = _near_duplicate(kind, [label, *synonyms])
        if duplicate:
            tag, wording = duplicate
            said = f"“{tag.label}”" if wording == tag.label else f"“{tag.label}” (which also goes by “{wording}”)"
            state = {"accepted": "", "suggested": ", already suggested", "rejected": ", which curators rejected"}
            raise ValidationError(
                {"label": f"Too close to the {kind} {said}{state[tag.status]}: use {tag.slug} instead."}
            )
        return Tag.objects.create(
            kind=kind,
            slug=_free_slug(kind, label),
            label=label,
            synonyms=synonyms,
            status=TagStatus.ACCEPTED if curator else TagStatus.SUGGESTED,
            suggested_by=user,
            decided_by=user if curator else None,
            decided_at=timezone.now() if curator else None,
        )


def _decide(user: User, tag_id: int, status: str) -> Tag:
    _curator(user)
    with transaction.atomic():
        tag = Tag.objects.select_for_update().get(pk=tag_id)
        if tag.status != TagStatus.SUGGESTED:
            raise NotPending(f"“{tag.label}” was already decided: it is {tag.status}.", tag_status=tag.status)
        tag.status, tag.decided_by, tag.decided_at = status, user, timezone.now()
        tag.save(update_fields=["status", "decided_by", "decided_at"])
    return tag


def tag_accept(*, user: User, tag_id: int) -> Tag:
    """A suggestion becomes a term the digest counts, on every report that already carries it."""
    return _decide(user, tag_id, TagStatus.ACCEPTED)


def tag_reject(*, user: User, tag_id: int) -> Tag:
    """A suggestion is refused: no new report may use it (reports that carry it keep it, uncounted)."""
    return _decide(user, tag_id, TagStatus.REJECTED)


def tag_merge(*, user: User, tag_id: int, into_id: int) -> Tag:
    """Folds the suggestion `tag_id` into the accepted term `into_id` of the same kind: its reports carry the
    term instead (a report that had both keeps one link), its label and synonyms become the term's synonyms,
    and the suggestion is removed. Returns the term."""
    _curator(user)
    if tag_id == into_id:
        raise ValidationError({"into": "A term cannot be merged into itself."})
    with transaction.atomic():
        locked = {t.pk: t for t in Tag.objects.select_for_update().filter(pk__in=[tag_id, into_id]).order_by("pk")}
        if tag_id not in locked:
            raise Tag.DoesNotExist(f"No term {tag_id}.")
        source, target = locked[tag_id], locked.get(into_id)
        if source.status != TagStatus.SUGGESTED:
            raise NotPending(f"“{source.label}” was already decided: it is {source.status}.", tag_status=source.status)
        if target is None or target.kind != source.kind or target.status != TagStatus.ACCEPTED:
            raise ValidationError({"into": f"Merge into an accepted {source.kind} term; {into_id} is not one."})
        links = CallReportTag.objects.filter(tag=source)
        links.filter(report__tag_links__tag=target).delete()
        links.update(tag=target)
        known = {_words(w) for w in (target.label, *target.synonyms)}
        for wording in (source.label, *source.synonyms):
            if _words(wording) not in known:
                target.synonyms.append(wording)
                known.add(_words(wording))
        target.synonyms = target.synonyms[:MAX_SYNONYMS]
        target.save(update_fields=["synonyms"])
        source.delete()
    return target


def tag_resolve(*, kind: str, values: Sequence[str | int], field: str | None = None) -> list[Tag]:
    """The terms a client named (slugs, or ids), in the order given, once each. Refused, under `field`
    (default: the kind), when a value is no usable term of the kind: the message lists the allowed slugs and
    says how to suggest a new one. Suggestions may be used (they count once accepted); rejected terms not."""
    field = field or kind
    _kind(kind, field)
    if len(values) > MAX_TAGS_PER_KIND:
        raise ValidationError({field: f"At most {MAX_TAGS_PER_KIND} terms of one kind on a report."})
    ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
    slugs = {v.strip().lower() for v in values if isinstance(v, str)}
    found = Tag.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs), kind=kind).exclude(status=TagStatus.REJECTED)
    by_id = {t.pk: t for t in found}
    by_slug = {t.slug: t for t in found}
    tags: list[Tag] = []
    unknown: list[str] = []
    for value in values:
        tag = by_id.get(value) if isinstance(value, int) else by_slug.get(str(value).strip().lower())
        if tag is None:
            unknown.append(str(value))
        elif tag not in tags:
            tags.append(tag)
    if unknown:
        raise ValidationError({field: tag_unknown_message(kind, unknown)})
    return tags


def tag_unknown_message(kind: str, unknown: Sequence[str]) -> str:
    allowed = list(
        Tag.objects.filter(kind=kind, status=TagStatus.ACCEPTED).order_by("slug").values_list("slug", flat=True)
    )
    named = ", ".join(f"{v[:60]!r}" for v in unknown[:5])
    choices = f"the allowed ones are {', '.join(allowed)}" if allowed else f"there is no accepted {kind} yet"
    return (
        f"Unknown {kind} {named}: {choices}. To add a term, suggest it with POST {SUGGEST_URL} "
        f'{{"kind": "{kind}", "label": "…"}} (or with "Suggest" in the form); it counts once a curator accepts it.'
    )
