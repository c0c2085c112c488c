"""Every periodic job in one place: crontab-based, each with an expiry and the reason it exists.

An expiry shorter than the period means a backlog never runs the same check twice in a row after an outage.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {
        # Proves in the database that beat and a worker are both alive; /healthz and the tests read it.
        "task": "accounts.tasks.heartbeat_record",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    "handoff-sla-check": {
        # Records each missed accept / first-touch clock once and escalates it to the receiving manager.
        "task": "funnel.tasks.handoff_sla_check",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
    "lead-scores-recompute": {
        # Engagement decays with time: rescoring every lead nightly (set-based, seconds) keeps scores current.
        "task": "leads.tasks.lead_scores_recompute",
        "schedule": crontab(minute=15, hour=2),
        "options": {"expires": 3600},
    },
    "attribution-rebuild": {
        # Touches can arrive after the purchase they led to (an ad platform's nightly export): re-credit.
        "task": "funnel.tasks.attribution_rebuild",
        "schedule": crontab(minute=45, hour=2),
        "options": {"expires": 3600},
    },
    "definition-crossings": {
        # A score change that makes a lead meet (or stop meeting) MQL or SQL is told to its owner within a minute.
        "task": "funnel.tasks.definition_crossings_record",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    "campaign-performance-refresh": {
        # The campaign list reads this report from the cache: at millions of touches it takes seconds to compute.
        "task": "funnel.tasks.campaign_performance_refresh",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
    "absences-reroute-due": {
        # An out-of-office set ahead begins unattended: its person's waiting handoffs go to the delegate or team.
        "task": "funnel.tasks.absences_reroute_due",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 540},
    },
    "metrics-current": {
        # The current day, week, month and quarter: the numbers managers watch move within ten minutes.
        "task": "funnel.tasks.metrics_recompute_current",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 540},
    },
    "metrics-stale": {
        # A closed period a late change reached (a back-dated spend line, a cohort settled by today's move).
        "task": "funnel.tasks.metrics_recompute_stale",
        "schedule": crontab(minute="5-59/10"),
        "options": {"expires": 540},
    },
    "metrics-closed": {
        # Yesterday, last week, month and quarter once closed: late moves land and their cohorts keep maturing.
        "task": "funnel.tasks.metrics_recompute_closed",
        "schedule": crontab(minute=20, hour=3),
        "options": {"expires": 3600},
    },
    "insight-digest-weekly": {
        # Marketing reads what sales heard last week (and month) on Monday morning: roll up, then deliver.
        "task": "funnel.tasks.insight_digest_weekly",
        "schedule": crontab(minute=30, hour=5, day_of_week="mon"),
        "options": {"expires": 6 * 3600},
    },
    "diagnostic-assess-monthly": {
        # The integration level is kept month by month so its trend shows; answers and evidence move slowly.
        "task": "funnel.tasks.diagnostic_assess_monthly",
        "schedule": crontab(minute=0, hour=6, day_of_month=1),
        "options": {"expires": 12 * 3600},
    },
    "outbox-sweep": {
        # The relay publishes side effects as they commit; this publishes whatever it missed (relay down, broker
        # down when it tried) so nothing committed waits longer than a minute once both are back.
        "task": "integrations.tasks.outbox_sweep",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    "outbox-prune": {
        # Published messages are only a log of what was handed on: keep a week.
        "task": "integrations.tasks.outbox_prune",
        "schedule": crontab(minute=20, hour=3),
        "options": {"expires": 3600},
    },
    "webhook-retry-due": {
        # Failed deliveries wait 30 s doubling; this sends those whose time has come.
        "task": "integrations.tasks.webhook_retry_due",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
}
