"""Fleet: an Auto Scaling group of Docker hosts whose containers run as systemd units.

The pure builders are modules of this package and import without Pulumi; the component and its
Args load on first use.
"""

__all__ = ["Fleet", "FleetAlarms", "FleetArgs", "FleetPeerSecurityGroup", "FleetScheduledAction", "FleetService", "FleetSpot", "FleetWarmPool"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.fleet import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
