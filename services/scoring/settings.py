from pydantic import Field

from hubkit.settings import HubSettings


class ScoringSettings(HubSettings):
    http_port: int = Field(8104)
