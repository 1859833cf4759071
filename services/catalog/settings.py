from pydantic import Field

from hubkit.settings import HubSettings


class CatalogSettings(HubSettings):
    http_port: int = Field(8101)
