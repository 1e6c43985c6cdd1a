"""The configuration models, one module per section: each model strict, frozen, and documented.

Every field's docstring states its default as behaviour; checks across entries live in
`showrunner.config.checks`.
"""

from showrunner.config.models.fleets import Fleet, Scaling, ScheduledCapacity, Spot, WarmPool
from showrunner.config.models.images import GoldenAmi, Image, ImagePipeline
from showrunner.config.models.observability import Alerts, Logs, Subscription, Thresholds
from showrunner.config.models.platform import Delivery, LoadBalancer, Network
from showrunner.config.models.services import Route, Service
from showrunner.config.models.settings import SECTIONS, Section, Settings
from showrunner.config.models.state import Cache, Mysql, Queues, State, Store, Table

__all__ = [
    "SECTIONS", "Alerts", "Cache", "Delivery", "Fleet", "GoldenAmi", "Image", "ImagePipeline", "LoadBalancer", "Logs", "Mysql", "Network",
    "Queues", "Route", "Scaling", "ScheduledCapacity", "Section", "Service", "Settings", "Spot", "State", "Store", "Subscription", "Table",
    "Thresholds", "WarmPool",
]
