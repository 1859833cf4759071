from hubkit.settings import HubSettings
from pydantic import Field


class ExchangeSettings(HubSettings):
    http_port: int = Field(8102)
