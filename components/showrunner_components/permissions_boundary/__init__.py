"""PermissionsBoundary: the most any role a deploy role creates may do, as a managed policy.

The pure builder (`documents`) imports without Pulumi; the component and its Args load on first use.
"""

__all__ = ["PermissionsBoundary", "PermissionsBoundaryArgs"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.permissions_boundary import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
