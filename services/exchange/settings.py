from hubkit.settings import HubSettings
from pydantic import Field


class ExchangeSettings(HubSettings):
    http_port: int = Field(8102)
    traffic_window_seconds: int = Field(300, ge=60, le=86_400, description=(
        "Length of the windows of the exchange's clock whose calls are counted per provider "
        "(exchange.traffic-counted; HUB_TRAFFIC_WINDOW_SECONDS); a divisor of a day keeps them on the hour"))
