from hubkit.settings import HubSettings
from pydantic import Field


class ElicenseSettings(HubSettings):
    http_port: int = Field(8103)
    blob_dir: str = Field(".hub/blobs", description="Directory of the content-addressed file store")
