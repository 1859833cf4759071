from hubkit.settings import HubSettings
from pydantic import Field


class CatalogSettings(HubSettings):
    http_port: int = Field(8101)
