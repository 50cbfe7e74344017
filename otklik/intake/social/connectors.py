"""The connector of each network."""

from __future__ import annotations

from otklik.intake.social.base import Connector
from otklik.intake.social.feed import Feed
from otklik.intake.social.ok import OK
from otklik.intake.social.telegram import Telegram
from otklik.intake.social.vk import VK

CONNECTORS: dict[str, type] = {"vk": VK, "telegram": Telegram, "ok": OK, "feed": Feed}


def connector_for(network: str) -> Connector:
    connector: Connector = CONNECTORS[network]()
    return connector
