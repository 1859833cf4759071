from typing import Self

from hubkit.settings import HubSettings
from pydantic import Field, model_validator


class ScoringSettings(HubSettings):
    http_port: int = Field(8104)
    ruleset: str = Field("gx-2019", description="Built-in ruleset id (services/scoring/rulesets/<id>.toml)")
    ruleset_path: str | None = Field(None, description="A ruleset file to use instead of the built-in one")
    projection_batch: int = Field(
        20000, ge=1, description="Most events folded per projection transaction (under load; a lone event goes at once)"
    )
    bureau_unit: str = Field(
        "11450000MB15190072",
        description="USCC of the big-data bureau; the envelope unit of hub-wide events such as month-closed",
    )
    webhook_backoff_seconds: float = Field(5.0, gt=0, description="First retry delay of a failed webhook POST")
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest delay between two retries")
    webhook_retry_hours: float = Field(24.0, gt=0, description="How long a delivery is retried before it is dead")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one webhook POST")
    webhook_poll_seconds: float = Field(0.5, gt=0, description="How often due deliveries are looked for")
    submissions: str = Field(
        "builtin", description="Submission requirements: 'builtin' (the file beside the ruleset, "
        "<id>.submissions.toml), a path to such a file, or 'none' (no submission is required of anyone)")
    inventory: str = Field(
        "builtin", description="Items fed by the units' system inventories: 'builtin' (the file beside the ruleset, "
        "<id>.inventory.toml), a path to such a file, or 'none' (inspectors type those items' findings)")
    submission_sweep_seconds: float = Field(1.0, gt=0, description="How often missed submissions and inventory "
                                            "changes are looked for")
    reminder_working_days: int = Field(3, ge=0, le=20, description="Working days before a submission deadline "
                                       "from which a unit with nothing valid in is reminded (0: no reminders)")
    appeal_working_days: int = Field(5, ge=1, le=30, description="Working days (PRC calendar) after a finding's "
                                     "event time within which its unit may appeal it")
    bulletin_public: bool = Field(False, description="Publish the monthly bulletins of closed months without a "
                                  "token at /public/bulletins/{month} (公开通报)")
    shards: int = Field(1, ge=1, le=64, description="Projection instances the units are divided among (each runs "
                        "with the same HUB_SHARDS and its own HUB_SHARD); changed with `hub-scoring reshard N`, "
                        "every instance stopped")
    shard: int = Field(0, ge=0, description="Which of the HUB_SHARDS projection instances this one is (0-based)")

    @model_validator(mode="after")
    def _shard_exists(self) -> Self:
        if self.shard >= self.shards:
            raise ValueError(f"shard {self.shard} does not exist among {self.shards} (0 to {self.shards - 1})")
        return self
