"""The "who to call" directory: lines that name, for a slice of the market (segment, territory, product, key
account — blank matches anything), the responsible rep, marketer, liaison and manager.

Managers, revenue leaders and administrators write lines. Each person is checked for the job: the rep works in
sales, the marketer in marketing, the liaison is any active person, the manager holds a manager role. One line
per slice: a second line for the same slice is refused naming the first (the unique constraint settles a race).
Creating, editing and confirming a line stamp `confirmed_at`/`confirmed_by`: whoever last touched it vouches
for it.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Function, Role
from accounts.models import User
from config.errors import NotAllowed
from crm.choices import Segment, TagKind, TagStatus
from crm.models import Company, Responsibility, Tag

WRITERS = MANAGER_ROLES | {Role.ADMIN}
ROLES = ("rep", "marketer", "liaison", "manager")
EDITABLE_FIELDS = ("segment", "territory", "product", "company", *ROLES, "note")
MAX_TERRITORY = 50
MAX_NOTE = 200


def may_write(user: User) -> bool:
    return user.is_superuser or user.role in WRITERS


def _person_problem(role: str, person: User) -> str | None:
    name = person.get_username()
    if not person.is_active or person.role == Role.INTEGRATION:
        return f"{name} is not an active person: the directory names people others can call."
    if role == "rep" and person.function != Function.SALES:
        return f"{name} is not in sales: the rep on a line works in a sales team."
    if role == "marketer" and person.function != Function.MARKETING:
        return f"{name} is not in marketing: the marketer on a line works in a marketing team."
    if role == "manager" and person.role not in MANAGER_ROLES:
        return f"{name} is a {person.get_role_display().lower()}, not a manager: name a sales or marketing manager."
    return None


def _slice_problems(data: dict) -> dict[str, str]:
    errors = {}
    if data["segment"] not in ("", *Segment.values):
        errors["segment"] = f"{data['segment']!r} is not a segment; use {', '.join(Segment.values)} or leave it blank."
    if len(data["territory"]) > MAX_TERRITORY:
        errors["territory"] = f"A territory is at most {MAX_TERRITORY} characters."
    product: Tag | None = data["product"]
    if product is not None and (product.kind != TagKind.PRODUCT or product.status == TagStatus.REJECTED):
        errors["product"] = f"{product.label!r} is not a product of the taxonomy (a {product.kind} tag)."
    company: Company | None = data["company"]
    if company is not None and not company.is_key_account:
        errors["company"] = (
            f"{company.name} is not a key account: a line names a company only when it has its own people; "
            "describe other companies by segment and territory."
        )
    return errors


def _check(data: dict, line: Responsibility | None) -> None:
    errors = _slice_problems(data)
    for role in ROLES:
        if data[role] is not None and (problem := _person_problem(role, data[role])):
            errors[role] = problem
    if all(data[role] is None for role in ROLES):
        errors["rep"] = "Name at least one person (rep, marketer, liaison or manager): a line answers who to call."
    if len(data["note"]) > MAX_NOTE:
        errors["note"] = f"A note is at most {MAX_NOTE} characters."
    if not errors and (taken := _same_slice(data, line)) is not None:
        errors["segment"] = f"The directory already has a line for {taken} (#{taken.pk}): edit that one instead."
    if errors:
        raise ValidationError(errors)


def _same_slice(data: dict, line: Responsibility | None) -> Responsibility | None:
    others = Responsibility.objects.filter(
        segment=data["segment"], territory=data["territory"], product=data["product"], company=data["company"]
    )
    if line is not None:
        others = others.exclude(pk=line.pk)
    return others.select_related("product", "company").first()


def _normalised(data: dict) -> dict:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown responsibility field(s): {', '.join(sorted(unknown))}")
    for field in ("territory", "note"):
        if field in data:
            data[field] = (data[field] or "").strip()
    if "segment" in data:
        data["segment"] = data["segment"] or ""
    return data


def _save(line: Responsibility, data: dict, user: User) -> Responsibility:
    for field, value in data.items():
        setattr(line, field, value)
    _check({field: getattr(line, field) for field in EDITABLE_FIELDS}, line if line.pk else None)
    line.confirmed_at, line.confirmed_by = timezone.now(), user
    try:
        with transaction.atomic():
            line.save()
    except IntegrityError:
        # A concurrent write took the slice between our check and our insert: the constraint is the last word.
        raise ValidationError({"segment": "Someone just saved a line for this slice: reload and edit it."}) from None
    return line


def responsibility_create(*, user: User, **data) -> Responsibility:
    """A new line, confirmed now by `user`. Blank dimensions match anything; see the module docstring for the
    checks. Raises NotAllowed for anyone but managers, revenue leaders and administrators."""
    if not may_write(user):
        raise NotAllowed("Managers, revenue leaders and administrators keep the directory.")
    data = {"segment": "", "territory": "", "product": None, "company": None, "note": "", **_normalised(data)}
    for role in ROLES:
        data.setdefault(role, None)
    return _save(Responsibility(), data, user)


def responsibility_update(*, user: User, responsibility_id: int, **data) -> Responsibility:
    """Changes the given fields of a line (a person set to None leaves the role to broader lines); the edit
    confirms the line."""
    if not may_write(user):
        raise NotAllowed("Managers, revenue leaders and administrators keep the directory.")
    data = _normalised(data)
    with transaction.atomic():
        line = Responsibility.objects.select_for_update().get(pk=responsibility_id)
        return _save(line, data, user)


def responsibility_confirm(*, user: User, responsibility_id: int) -> Responsibility:
    """Says the line is still true: stamps `confirmed_at` (now) and `confirmed_by`. Confirming twice only moves
    the stamp."""
    if not may_write(user):
        raise NotAllowed("Managers, revenue leaders and administrators confirm directory lines.")
    with transaction.atomic():
        line = Responsibility.objects.select_for_update().get(pk=responsibility_id)
        line.confirmed_at, line.confirmed_by = timezone.now(), user
        line.save(update_fields=["confirmed_at", "confirmed_by"])
    return line


def responsibility_delete(*, user: User, responsibility_id: int) -> None:
    if not may_write(user):
        raise NotAllowed("Managers, revenue leaders and administrators remove directory lines.")
    with transaction.atomic():
        Responsibility.objects.select_for_update().get(pk=responsibility_id).delete()
