"""LoadBalancer: an Application Load Balancer with a target group and a listener rule per routed service.

The component and its Args load on first use, so importing the package does not import Pulumi.
"""

__all__ = ["LoadBalancer", "LoadBalancerAlarms", "LoadBalancerArgs", "LoadBalancerRoute"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.load_balancer import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
