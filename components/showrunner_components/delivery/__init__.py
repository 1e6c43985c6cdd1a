"""Delivery: the GitHub OIDC provider and a stack's least-privilege preview and deploy roles.

The pure builders are modules of this package and import without Pulumi; the component and its
Args load on first use.
"""

__all__ = ["Delivery", "DeliveryArgs"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.delivery import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
