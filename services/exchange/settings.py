from hubkit.settings import HubSettings
from pydantic import Field


class ExchangeSettings(HubSettings):
    http_port: int = Field(8102)
    traffic_window_seconds: int = Field(300, ge=60, le=86_400, description=(
        "Length of the windows of the exchange's clock whose calls are counted per provider "
        "(exchange.traffic-counted; HUB_TRAFFIC_WINDOW_SECONDS); a divisor of a day keeps them on the hour"))
    subscription_days: int = Field(365, ge=1, le=3650, description=(
        "The term of a subscription an approval grants unless the provider gives another (HUB_SUBSCRIPTION_DAYS); "
        "an unconditional share granted at once has no term"))
    quota_per_minute: int = Field(600, ge=1, description=(
        "Calls a minute a new subscription may make through the gateway unless its provider sets another"))
    quota_per_day: int = Field(100_000, ge=1, description=(
        "Calls a day (Asia/Shanghai) a new subscription may make through the gateway unless its provider sets another"))
