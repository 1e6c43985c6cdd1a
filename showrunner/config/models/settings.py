"""`Settings`: everything one stack is made of."""

from __future__ import annotations

from pydantic import Field, SecretStr

from showrunner.config.models.base import _Strict
from showrunner.config.models.fleets import Fleet
from showrunner.config.models.images import GoldenAmi, Images
from showrunner.config.models.platform import Delivery, LoadBalancer, Network
from showrunner.config.models.services import Service
from showrunner.config.models.state import State


class Settings(_Strict):
    """Everything one stack is made of. Built once by `load_settings`; never mutated."""

    project: str
    stack: str
    tags: dict[str, str]
    services: dict[str, Service]
    fleets: dict[str, Fleet]
    images: Images
    golden_ami: GoldenAmi
    network: Network
    load_balancer: LoadBalancer
    secrets: dict[str, dict[str, SecretStr]]
    delivery: Delivery | None = None
    state: State = Field(default_factory=State)

    def services_on(self, fleet: str) -> dict[str, Service]:
        return {n: s for n, s in self.services.items() if s.fleet == fleet}
