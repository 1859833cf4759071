from hubkit.settings import HubSettings
from pydantic import Field


class ScoringSettings(HubSettings):
    http_port: int = Field(8104)
    ruleset: str = Field("gx-2019", description="Built-in ruleset id (services/scoring/rulesets/<id>.toml)")
    ruleset_path: str | None = Field(None, description="A ruleset file to use instead of the built-in one")
    projection_batch: int = Field(5000, ge=1, description="Most events folded per projection transaction")
