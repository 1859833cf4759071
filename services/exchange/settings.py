from pydantic import Field

from hubkit.settings import HubSettings


class ExchangeSettings(HubSettings):
    http_port: int = Field(8102)
