"""Network: a VPC with public and private subnets across zones, or an existing VPC.

The component and its Args load on first use, so importing the package does not import Pulumi.
"""

__all__ = ["Network", "NetworkArgs"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.network import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
