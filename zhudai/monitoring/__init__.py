"""Monitoring of every active model and policy: drift of scores, inputs, approvals, bad rates
and rule hits, with alerts that know the weekday pattern and have floors.

Imports here stay light (the fraud layer's trends use :mod:`zhudai.monitoring.seasonal`); the
report and its sources are imported from their modules.
"""

from zhudai.monitoring.rates import rate_alerts
from zhudai.monitoring.seasonal import SeasonalRule, seasonal_alerts, weekday_expectation
from zhudai.monitoring.stability import period_stability, stability_alerts, stability_index

__all__ = [
    "SeasonalRule",
    "rate_alerts",
    "seasonal_alerts",
    "stability_alerts",
    "stability_index",
    "weekday_expectation",
    "period_stability",
]
