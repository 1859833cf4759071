from pydantic import Field

from hubkit.settings import HubSettings


class ElicenseSettings(HubSettings):
    http_port: int = Field(8103)
