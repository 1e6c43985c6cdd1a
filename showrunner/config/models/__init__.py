"""The configuration models, one module per section: each model strict, frozen, and documented.

Every field's docstring states its default as behaviour; checks across entries live in
`showrunner.config.checks`.
"""

from showrunner.config.models.fleets import Fleet, Scaling, ScheduledCapacity, Spot, WarmPool
from showrunner.config.models.images import GoldenAmi, Images
from showrunner.config.models.platform import Delivery, LoadBalancer, Network
from showrunner.config.models.services import Route, Service
from showrunner.config.models.settings import SECTIONS, Section, Settings
from showrunner.config.models.state import Cache, Mysql, Queues, State, Store, Table
from showrunner.config.values import PIPELINE_IMAGES

__all__ = [
    "PIPELINE_IMAGES", "SECTIONS", "Cache", "Delivery", "Fleet", "GoldenAmi", "Images", "LoadBalancer", "Mysql", "Network",
    "Queues", "Route", "Scaling", "ScheduledCapacity", "Section", "Service", "Settings", "Spot", "State", "Store", "Table",
    "WarmPool",
]
