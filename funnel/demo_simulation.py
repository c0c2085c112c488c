"""The demo's "sign knowing": the pending MQL v2 and the trial rule each carry a simulation of what they would
have done, computed from the demo's own history, so the sign-off page and the rule page have a story to tell."""

from django.utils import timezone

from accounts.models import User
from funnel.models import HandoffRule, LeadDefinitionVersion, Simulation
from funnel.simulation import services
from funnel.simulation.definitions import history_days
from leads.choices import VersionStatus


def _run(simulation: Simulation) -> Simulation:
    return services.simulation_run(simulation_id=simulation.pk)


def seed_simulations(users: dict[str, User]) -> list[str]:
    """Runs them in-process (the demo has no worker yet); a second run adds nothing."""
    if Simulation.objects.exists():
        return []
    window = min(90, history_days(timezone.now()) or 1)
    lines = ["Before signing, read what it would have done:"]
    proposal = LeadDefinitionVersion.objects.filter(definition__code="MQL", status=VersionStatus.PROPOSED).first()
    if proposal is not None:
        done = _run(
            services.definition_simulation_request(actor=users["meg"], version_id=proposal.pk, window_days=window)
        )
        now, history = done.result["now"]["totals"], done.result["history"]
        held = ", ".join(f"{r['currency']} {r['revenue']}" for r in history["revenue_held_back"]) or "nothing"
        lines.append(
            f"  - MQL v{proposal.number}: {now['qualify_proposed']} open leads qualify instead of "
            f"{now['qualify_active']} ({now['stop_qualifying']} stop); of {history['totals']['moves']} moves "
            f"into consideration in {window} days it would have refused {history['totals']['refused_proposed']}, "
            f"holding back {history['went_on_to_purchase']} purchases ({held})."
        )
    trial = HandoffRule.objects.filter(state="shadow").first()
    if trial is not None:
        done = _run(services.rule_simulation_request(actor=users["sam"], rule_id=trial.pk, window_days=window))
        refusals = done.result["refusals"]
        lines.append(
            f"  - the trial rule '{trial.name}' (in shadow) would have refused {refusals['refused']} of "
            f"{refusals['moves']} moves into intent; its page shows the live rate."
        )
    return lines
