"""ServiceSecrets: service secrets as SSM SecureStrings under a customer-managed KMS key.

The component and its Args load on first use, so importing the package does not import Pulumi.
"""

__all__ = ["ServiceSecrets", "ServiceSecretsArgs"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.secrets import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
