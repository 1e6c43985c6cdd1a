"""State: RDS MySQL, ElastiCache, DynamoDB tables and SQS queues, protected against loss.

The pure builders are modules of this package and import without Pulumi; the component and its
Args load on first use.
"""

__all__ = ["State", "StateAlarms", "StateArgs", "StateCache", "StateEndpoints", "StateMysql", "StateQueues", "StateTable"]


def __getattr__(name: str):
    if name in __all__:
        from showrunner_components.state import component

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
