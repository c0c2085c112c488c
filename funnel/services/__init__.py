"""Writes of the shared funnel. `transitions.lead_transition` is the one door every stage change goes through."""
