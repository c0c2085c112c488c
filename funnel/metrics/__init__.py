"""Joint metrics: the stage spans the one door keeps, and the snapshots Celery jobs compute from them."""
