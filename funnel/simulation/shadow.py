"""Shadow mode: a rule in shadow is evaluated at every real move of its scope and its verdict recorded beside
the enforced rules' results; it never refuses or routes. Its page shows the live would-have-refused rate."""

import json
from dataclasses import asdict
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count, Q

from funnel.models import HandoffRule, ShadowResult, Transition

TABLE = ShadowResult._meta.db_table


def shadow_results_record(*, transition: Transition, verdicts: list, at: datetime) -> None:
    """One row per shadow rule: (rule, its checks). One plain INSERT: every move in a shadow rule's scope pays for
    it, and bulk_create's per-call compiling (an UNNEST with RETURNING) cost more than the insert itself."""
    if not verdicts:
        return
    rows = []
    for rule, checks in verdicts:
        failed = [asdict(check) for check in checks if not check.passed]
        rows += [rule.pk, transition.pk, not failed, json.dumps(failed, cls=DjangoJSONEncoder), at]
    values = ", ".join(["(%s, %s, %s, %s::jsonb, %s)"] * len(verdicts))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (rule_id, transition_id, passed, failed, at) VALUES {values}", rows)


def shadow_rate(*, rule: HandoffRule, since: datetime | None = None) -> dict:
    """Moves evaluated and would-have-refused since the rule entered shadow (or `since`), with the rate and
    the checks that failed most."""
    since = since or rule.state_since
    rows = ShadowResult.objects.filter(rule=rule)
    if since is not None:
        rows = rows.filter(at__gte=since)
    totals = rows.aggregate(moves=Count("id"), refused=Count("id", filter=Q(passed=False)))
    by_check = _failed_checks(rule.pk, since)
    moves, refused = totals["moves"], totals["refused"]
    return {
        "since": since,
        "moves": moves,
        "would_refuse": refused,
        "rate": round(refused / moves, 4) if moves else None,
        "by_check": by_check,
    }


FAILED_CHECKS_SQL = """
SELECT check_result ->> 'rule', check_result ->> 'check', count(*)
FROM funnel_shadowresult, jsonb_array_elements(failed) AS check_result
WHERE rule_id = %s AND NOT passed AND (%s::timestamptz IS NULL OR at >= %s)
GROUP BY 1, 2 ORDER BY 3 DESC, 2
"""


def _failed_checks(rule_id: int, since: datetime | None) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(FAILED_CHECKS_SQL, [rule_id, since, since])
        return [{"rule": rule, "check": check, "count": n} for rule, check, n in cursor.fetchall()]
