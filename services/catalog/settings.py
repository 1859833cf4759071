from hubkit.settings import HubSettings
from pydantic import Field

from catalog.domain.reviews import MAX_NOTICE_DAYS, NOTICE_DAYS, REVIEW_DAYS


class CatalogSettings(HubSettings):
    http_port: int = Field(8101)
    review_days: int = Field(REVIEW_DAYS, ge=1, le=30, description=(
        "Working days the bureau has to decide a submission to the catalog (HUB_REVIEW_DAYS); past them the "
        "submission is flagged overdue once (catalog.review-overdue). Seed 003 sets no figure"))
    notice_days: int = Field(NOTICE_DAYS, ge=0, le=MAX_NOTICE_DAYS, description=(
        "Working days of public notice (公示, seed 003 §6.2.7) between the bureau's approval of a new resource "
        "and its publication, unless the bureau gives another for that resource (HUB_NOTICE_DAYS; 0: none)"))
    exchange_url: str = Field("http://127.0.0.1:8102", description=(
        "Where browsers reach the exchange (HUB_EXCHANGE_URL): the portal's 申请共享 links into its request form"))
