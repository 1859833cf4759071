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
    table_batch_max_bytes: int = Field(32 * 1024 * 1024, ge=1024, description=(
        "The largest table batch a provider may deliver in one request (HUB_TABLE_BATCH_MAX_BYTES): a bigger "
        "one is refused with 413 before it is read"))
    decision_days_government: int = Field(3, ge=1, le=30, description=(
        "Working days a provider has to decide a request for government data (HUB_DECISION_DAYS_GOVERNMENT). "
        "Seed 003 §22 says 5, the scoring table deducts B1.9 after 3: the default is the table's"))
    decision_days_supervision: int = Field(5, ge=1, le=30, description=(
        "Working days a provider has to decide a request for supervision data (HUB_DECISION_DAYS_SUPERVISION)"))
    file_max_bytes: int = Field(64 * 1024 * 1024, ge=1024, description=(
        "The largest file version a provider may upload (HUB_FILE_MAX_BYTES): a bigger one is refused with 413"))
    files_dir: str = Field(".hub/exchange-files", description=(
        "Directory of the content-addressed store of file resources' versions (HUB_FILES_DIR)"))
    files_url: str | None = Field(None, description=(
        "An S3-compatible store instead of files_dir (HUB_FILES_URL): s3://bucket/prefix?endpoint=http://host:9000"))


def exchange_settings(settings: HubSettings) -> ExchangeSettings:
    """The exchange's settings of a host; one built with the platform's settings alone (a test's) gets the
    exchange's defaults, from this model rather than a copy of them at each use."""
    return settings if isinstance(settings, ExchangeSettings) else ExchangeSettings()
