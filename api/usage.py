"""Usage: active session minutes and their cost, by hour or day and billing dimension.

``GET /public/usage`` answers the API key's project (a key reaches its own project only, like every
``/public`` resource); ``GET /manage/organizations/{orgId}/usage`` answers the whole organization, to
its Admins only (billing is the Admin's in the role matrix: a Member gets 403, and the dashboard hides
it). Usage is recorded when a session ends, whether or not the organization has a Marketplace
subscription; what is reported to the Marketplace is per organization (its subscription), hour and
dimension.
"""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field

from api.endpoint import RequestContext, endpoint
from shared.api_errors import invalid_field
from shared.billing.metering import CURRENCY, PRICE_PER_MINUTE, Dimension
from shared.billing.usage_report import (
    DEFAULT_SPAN,
    MAX_SPAN,
    RANGE_TEXT,
    BadWindow,
    DimensionTotal,
    Granularity,
    UsageSummary,
    summarize,
    usage_window,
)
from shared.billing.usage_store import usage_store
from shared.management.roles import Action
from shared.management.store import management_store
from shared.platform import get_platform

bp = func.Blueprint()
TAG = "Usage"


class UsageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: datetime | None = Field(
        None,
        alias="from",
        description="Start of the window (ISO 8601; UTC when no offset), rounded down to the hour or "
        f"day. Default: `to` minus 24 hours (`hour`) or 30 days (`day`). Must be {RANGE_TEXT} "
        "(inclusive; else 400).",
    )
    end: datetime | None = Field(
        None,
        alias="to",
        description="End of the window (exclusive), rounded up to the hour or day. Default: the end of "
        f"the current hour or day. At most {MAX_SPAN['hour'].days} days after `from` by hour, "
        f"{MAX_SPAN['day'].days} by day. Must be {RANGE_TEXT} (inclusive; else 400).",
    )
    granularity: Granularity = Field("day", description="`hour` or `day` (UTC) buckets.")


class DimensionUsage(BaseModel):
    dimension: Dimension = Field(
        description="`byo_llm_minutes` (keys with a customer-hosted model: `azure-openai`, "
        "`openai-compatible`) or `hosted_llm_minutes` (`hosted` keys)."
    )
    minutes: float = Field(description="Active session minutes (6 decimals).")
    cost: float = Field(description="The minutes at the dimension's price, in `currency` (6 decimals).")


class UsageBucket(BaseModel):
    start: datetime = Field(description="Start of the hour or day (UTC).")
    end: datetime = Field(description="End of the hour or day (exclusive).")
    minutes: float = Field(description="Active minutes on every dimension.")
    cost: float = Field(description="Cost on every dimension.")
    dimensions: list[DimensionUsage] = Field(description="Minutes and cost per dimension, both always.")


class Price(BaseModel):
    dimension: Dimension = Field(description="The billing dimension.")
    pricePerMinute: float = Field(description="Price of one active minute, in `currency`.")


class Usage(BaseModel):
    organizationId: str = Field(description="The organization the usage is billed to.")
    projectId: str | None = Field(description="The project (`/public/usage`); null for a whole organization.")
    start: datetime = Field(alias="from", description="Start of the window (UTC, on a bucket boundary).")
    end: datetime = Field(alias="to", description="End of the window (exclusive).")
    granularity: Granularity = Field(description="`hour` or `day`.")
    currency: str = Field(description="The currency of costs and prices: `USD`.")
    prices: list[Price] = Field(description="The price per active minute of each dimension.")
    minutes: float = Field(description="Active minutes in the window, every dimension.")
    cost: float = Field(description="Cost of the window, every dimension.")
    totals: list[DimensionUsage] = Field(description="Minutes and cost of the window per dimension.")
    buckets: list[UsageBucket] = Field(
        description="Every hour or day of the window, oldest first (empty ones too)."
    )


def _dimensions(totals: tuple[DimensionTotal, ...]) -> list[DimensionUsage]:
    return [
        DimensionUsage(dimension=t.dimension, minutes=float(t.minutes), cost=float(t.cost)) for t in totals
    ]


def _answer(summary: UsageSummary, organization_id: str, project_id: str | None) -> Usage:
    window = summary.window
    return Usage(
        organizationId=organization_id,
        projectId=project_id,
        **{"from": window.start, "to": window.end},
        granularity=window.granularity,
        currency=CURRENCY,
        prices=[Price(dimension=d, pricePerMinute=float(p)) for d, p in PRICE_PER_MINUTE.items()],
        minutes=float(summary.minutes),
        cost=float(summary.cost),
        totals=_dimensions(summary.totals),
        buckets=[
            UsageBucket(
                start=b.start,
                end=b.end,
                minutes=float(b.minutes),
                cost=float(b.cost),
                dimensions=_dimensions(b.dimensions),
            )
            for b in summary.buckets
        ],
    )


def _usage(ctx: RequestContext, organization_id: str, project_id: str | None) -> Usage:
    query = ctx.query(UsageQuery)
    try:
        window = usage_window(query.start, query.end, query.granularity, datetime.now(UTC))
    except BadWindow as bad:
        raise invalid_field(f"query.{bad.field}", bad.message) from None
    slices = usage_store().organization_usage(organization_id, window.start, window.end, project_id)
    return _answer(summarize(slices, window), organization_id, project_id)


_WINDOW = (
    f"`from`/`to` are rounded out to whole buckets; without them the last {DEFAULT_SPAN['hour'].days * 24} "
    f"hours by hour or {DEFAULT_SPAN['day'].days} days by day. Minutes are the sessions' active time "
    "(a session crossing an hour counts in each hour it was active); every bucket is answered."
)


@endpoint(
    bp,
    "GET",
    "public/usage",
    summary="Usage of the key's project",
    description="Active session minutes and cost of the API key's project, by hour or day and billing "
    "dimension. " + _WINDOW,
    tag=TAG,
    auth="api_key",
    query=UsageQuery,
    response=Usage,
)
def get_usage(ctx: RequestContext) -> Usage:
    key = ctx.api_key
    return _usage(ctx, key.organization_id, key.project_id)


@endpoint(
    bp,
    "GET",
    "manage/organizations/{orgId}/usage",
    summary="Usage of an organization",
    description="Active session minutes and cost of every project of the organization, by hour or day "
    "and billing dimension; Admins only (billing: a Member gets 403). " + _WINDOW,
    tag=TAG,
    auth="user",
    query=UsageQuery,
    response=Usage,
    errors=(403, 404),
)
def manage_get_organization_usage(ctx: RequestContext) -> Usage:
    organization_id = ctx.route("orgId")
    management_store(get_platform()).organization(ctx.user, organization_id, Action.VIEW_BILLING)
    return _usage(ctx, organization_id, None)
