"""GoldenAmi: an EC2 Image Builder pipeline that bakes the fleet's host image weekly.

The pure builders (`documents`: render, validate, version; `builders`: names, recipe version, log
policy, user data) import without Pulumi; the component and its Args load on first use.
"""

__all__ = ["GoldenAmi", "GoldenAmiArgs"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.golden_ami import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
