from hubkit.settings import HubSettings
from pydantic import Field, model_validator

DEV_HOLDER_KEY = "gov-hub-local-holder-key-change-me"


class ElicenseSettings(HubSettings):
    http_port: int = Field(8103)
    blob_dir: str = Field(".hub/blobs", description="Directory of the content-addressed file store")
    blob_url: str | None = Field(
        None, description="S3-compatible store instead of blob_dir: s3://bucket/prefix?endpoint=http://host:9000 "
        "(credentials from the usual AWS_* variables; needs boto3)")
    holder_key: str = Field(DEV_HOLDER_KEY, description="Secret of the keyed hash of holder ids")
    seal_authority_cert: str | None = Field(
        None, description="PEM file with the certificate(s) of the unified e-seal authority; files signed under "
        "it count as sealed. Unset: no file counts as sealed")
    license_types_file: str | None = Field(None, description="CSV of license types replacing the shipped list")
    max_file_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest license file accepted")
    import_chunk: int = Field(5000, ge=100, description="Licenses per transaction in a stock import")

    @model_validator(mode="after")
    def _key_is_safe(self) -> "ElicenseSettings":
        if self.environment == "production" and (self.holder_key == DEV_HOLDER_KEY or len(self.holder_key) < 32):
            raise ValueError("HUB_HOLDER_KEY must be set to a random secret of at least 32 characters in production")
        return self
