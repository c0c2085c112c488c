from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from accounts.choices import Role
from accounts.models import ApiToken, Notification, OutOfOffice, SavedView, Team, User


def user_list() -> QuerySet[User]:
    return User.objects.select_related("team", "manager").filter(is_active=True)


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("manager", "parent")


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """Administrators see every token; everyone else their own."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if user.is_administrator else tokens.filter(user=user)


_SUBTREE_CTE = """
    WITH RECURSIVE tree(id) AS (
        SELECT id FROM accounts_user WHERE id = %s
        UNION
        SELECT u.id FROM accounts_user u JOIN tree t ON u.manager_id = t.id
    )
"""


def user_subtree_sql(*, user: User) -> RawSQL:
    """Ids of `user` and everyone reporting to them, directly or not, as a subquery: callers filter with it
    in one statement whatever the hierarchy's size."""
    return RawSQL(f"{_SUBTREE_CTE} SELECT id FROM tree", [user.pk])


def managed_team_sql(*, user: User) -> RawSQL:
    """Ids of the teams managed by `user` or anyone in their subtree, as a subquery."""
    return RawSQL(f"{_SUBTREE_CTE} SELECT t.id FROM accounts_team t JOIN tree ON t.manager_id = tree.id", [user.pk])


def user_subtree_ids(*, user: User) -> list[int]:
    """The same subtree as a list (one recursive query)."""
    subtree = user_subtree_sql(user=user)
    with connection.cursor() as cursor:
        cursor.execute(subtree.sql, subtree.params)
        return [row[0] for row in cursor.fetchall()]


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def saved_view_list(*, user: User, page: str) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user, page=page)


_MANAGED_CTE = """
    WITH RECURSIVE tree(id) AS (
        SELECT id FROM accounts_user WHERE id = %s
        UNION
        SELECT u.id FROM accounts_user u JOIN tree t ON u.manager_id = t.id
    ),
    teams(id) AS (
        SELECT id FROM accounts_team WHERE manager_id = %s
        UNION
        SELECT c.id FROM accounts_team c JOIN teams p ON c.parent_id = p.id
    )
"""


def managed_people_sql(*, user: User) -> RawSQL:
    """Ids of `user`, everyone reporting to them (directly or not) and every member of a team they manage or of
    a team below one, as a subquery: whom a manager answers for."""
    sql = (
        f"{_MANAGED_CTE} SELECT id FROM tree UNION SELECT u.id FROM accounts_user u JOIN teams ON u.team_id = teams.id"
    )
    return RawSQL(sql, [user.pk, user.pk])


def absence_list(*, user: User) -> QuerySet[OutOfOffice]:
    """Out-of-office periods `user` may see: their own, their reports' (managers), everyone's (revenue leaders
    and administrators)."""
    absences = OutOfOffice.objects.select_related("user", "delegate", "set_by")
    if user.is_administrator or user.role == Role.REVENUE_LEADER:
        return absences
    return absences.filter(user_id__in=managed_people_sql(user=user))
