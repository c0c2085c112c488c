"""Sales touches on a lead. Call reports moved to funnel.services.call_reports; these names stay importable
from here for code written against the old home."""

from funnel.services.call_reports import CALL_REPORT_YEARS_BACK, call_report_log, years_from

__all__ = ["CALL_REPORT_YEARS_BACK", "call_report_log", "years_from"]
