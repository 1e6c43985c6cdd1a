"""Observability: the alert topic and its subscribers (`Alerts`), the stack's `Dashboard`, and the
alarm builders (`alarms`) the components that own what an alarm watches use.

The pure builders (`alarms`, `dashboard`, `policies`) import without Pulumi; the components and
their Args load on first use.
"""

__all__ = ["Alerts", "AlertsArgs", "AlertsSubscription", "Dashboard", "DashboardArgs", "DashboardStores"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.observability import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
