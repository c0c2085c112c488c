from django.db.models import QuerySet

from accounts.models import ApiToken, Notification, Team, User


def user_list() -> QuerySet[User]:
    return User.objects.select_related("team", "manager").filter(is_active=True)


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("manager", "parent")


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """Administrators see every token; everyone else their own."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if user.is_administrator else tokens.filter(user=user)


def user_subtree_ids(*, user: User) -> list[int]:
    """Ids of `user` and everyone reporting to them, directly or not (one recursive query)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE tree(id) AS (
                SELECT id FROM accounts_user WHERE id = %s
                UNION
                SELECT u.id FROM accounts_user u JOIN tree t ON u.manager_id = t.id
            )
            SELECT id FROM tree
            """,
            [user.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications
