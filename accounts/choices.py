from django.db import models


class Function(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    SHARED = "shared", "Shared"


class Role(models.TextChoices):
    SALES_REP = "sales_rep", "Sales rep"
    SDR = "sdr", "Sales development rep / liaison"
    MARKETER = "marketer", "Marketer"
    SALES_MANAGER = "sales_manager", "Sales manager"
    MARKETING_MANAGER = "marketing_manager", "Marketing manager"
    REVENUE_LEADER = "revenue_leader", "Revenue leader"
    ADMIN = "admin", "Administrator"
    INTEGRATION = "integration", "Integration (API client)"


MANAGER_ROLES = frozenset({Role.SALES_MANAGER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER})
