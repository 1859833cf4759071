"""Hypothesis strategies for valid codes and envelopes (shared by the contracts tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from contracts.divisions import PROVINCES
from contracts.uscc import AUTHORITY_KINDS, CHARSET, uscc_check_char
from hypothesis import strategies as st

digits2 = st.integers(0, 99).map(lambda n: f"{n:02d}")


@st.composite
def division_codes(draw: st.DrawFn, province: str | None = None) -> str:
    prov = province or draw(st.sampled_from(sorted(PROVINCES)))
    city = draw(digits2)
    county = "00" if city == "00" else draw(digits2)
    return prov + city + county


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(AUTHORITY_KINDS)))
    kind = draw(st.sampled_from(AUTHORITY_KINDS[authority]))
    division = draw(st.one_of(division_codes(), st.just("100000")))
    org = draw(st.text(alphabet=CHARSET, min_size=9, max_size=9))
    first17 = authority + kind + division + org
    return first17 + uscc_check_char(first17)


guangxi_divisions = division_codes(province="45")
serials = st.integers(1, 999_999)
offsets = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.builds(
    lambda ts, tz: datetime.fromtimestamp(ts, UTC).astimezone(tz),
    st.integers(1_500_000_000, 1_800_000_000),
    offsets,
)
