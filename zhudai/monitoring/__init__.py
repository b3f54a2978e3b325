"""Monitoring of every active model and policy: drift of scores, inputs, approvals, bad rates
and rule hits, with alerts that know the weekday pattern and have floors.

Imports here stay light, because the fraud layer's trends and command line use the seasonal
alerts: the stability indices (:mod:`zhudai.monitoring.stability`, which needs the scorecard's
stack), the report and its sources are imported from their modules.
"""

from zhudai.monitoring.rates import rate_alerts
from zhudai.monitoring.seasonal import SeasonalRule, seasonal_alerts, weekday_expectation

__all__ = ["SeasonalRule", "rate_alerts", "seasonal_alerts", "weekday_expectation"]
