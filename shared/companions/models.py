"""Companions: the stored record and the published wire shapes (docs/omniagent-public-api.md section 1).

Published: ``POST /public/companions`` with ``description`` (required), ``firstName``, ``lastName``,
``pictureUrl``, ``videoUrl``, ``version``, ``gender``, ``ethnicity``, ``tags``; list items
``id, firstName, lastName, previewUrl, videoLoopUrl, ethnicity, gender, headline, tags, status``
(developers.napster.com/docs/api-reference/companions/get). Our additive fields: ``instructions``,
``defaultView``, ``pictureUrl``/``description`` echoed, ``avatar`` (the uploaded image), ``created``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from shared.listing import ListEnvelope, ListQuery
from shared.request_json import NotNull

Gender = Literal["male", "female", "nonBinary"]
DefaultView = Literal["round", "rectangle", "silhouette"]
CompanionStatus = Literal["pending", "generationCompleted", "readyToUse", "completed"]
Version = Literal["v1", "v2"]
SilhouetteSource = Literal["preparing", "alphaChannel", "cutOut", "none"]

# Built-in (napster-stock) companions: ``new_id("comp")`` never makes an id with a second '_'.
STOCK_PREFIX = "comp_stock_"
DEFAULT_VIEW: DefaultView = "rectangle"  # the Web SDK's full video view with its background
MAX_TAGS = 16
MAX_TAG_LENGTH = 64


def _check_tags(tags: dict[str, str] | None) -> dict[str, str] | None:
    if tags is None:
        return None
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags are allowed")
    for key, value in tags.items():
        if not key or len(key) > MAX_TAG_LENGTH or len(value) > MAX_TAG_LENGTH:
            raise ValueError(f"tag keys (non-empty) and values must be at most {MAX_TAG_LENGTH} characters")
    return tags


def _check_http_url(value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("https://", "http://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Personality = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
Instructions = Annotated[str, StringConstraints(max_length=20000)]
Headline = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ethnicity = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_check_http_url)
]
Tags = Annotated[dict[str, str], AfterValidator(_check_tags)]


class WireModel(BaseModel):
    """camelCase on the wire (the published names), snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="forbid"
    )  # unknown fields: 400 naming them (shared.request_json)


# ---------------------------------------------------------------------------------------------- stored


class AvatarRecord(BaseModel):
    """The uploaded avatar image as stored in Blob storage."""

    blob_name: str = Field(description="Blob name in the avatars container.")
    content_type: str = Field(description="Content type judged from the image's bytes.")
    width: int = Field(description="Width in pixels.")
    height: int = Field(description="Height in pixels.")
    size_bytes: int = Field(description="File size in bytes.")
    uploaded: datetime = Field(description="When it was uploaded (UTC).")
    silhouette_blob_name: str | None = Field(
        default=None,
        description="Blob name of the cut-out PNG with alpha beside the original; None until it is made "
        "or when no person was found.",
    )
    silhouette_source: str = Field(
        default="none",
        description="`preparing` (being cut out), `alphaChannel` (the upload's own alpha), `cutOut` "
        "(segmented) or `none` (no person found; records from before silhouettes read so too).",
    )


class CompanionRecord(BaseModel):
    """A project's companion as stored (partition = project id, row = companion id)."""

    id: str = Field(description="Companion id (`comp_…`; `comp_stock_…` for built-in ones).")
    description: str = Field(description="Personality and role.")
    first_name: str | None = Field(default=None, description="First name.")
    last_name: str | None = Field(default=None, description="Last name.")
    picture_url: str | None = Field(default=None, description="Reference image URL as given (not fetched).")
    video_url: str | None = Field(default=None, description="Reference video URL as given (not fetched).")
    version: str | None = Field(default=None, description="Published avatar pipeline version as given.")
    gender: str | None = Field(default=None, description="`male`, `female` or `nonBinary`.")
    ethnicity: str | None = Field(default=None, description="Canonical spelling of an accepted ethnicity.")
    headline: str | None = Field(default=None, description="Short tagline.")
    tags: dict[str, str] = Field(default_factory=dict, description="String labels.")
    instructions: str | None = Field(default=None, description="Behavior instructions (extension).")
    default_view: str = Field(default=DEFAULT_VIEW, description="`round`, `rectangle` or `silhouette`.")
    avatar: AvatarRecord | None = Field(default=None, description="The uploaded avatar image, if any.")
    created: datetime = Field(default_factory=lambda: datetime.now(UTC), description="Creation time (UTC).")
    updated: datetime | None = Field(default=None, description="Last update time (UTC).")

    @property
    def is_stock(self) -> bool:
        return self.id.startswith(STOCK_PREFIX)

    @property
    def status(self) -> CompanionStatus:
        # No video generation here: a companion is usable once it has an avatar image and its silhouette
        # is prepared (cut out in a durable activity); the built-in ones are usable at once (as the
        # published stock companions are).
        if self.is_stock:
            return "readyToUse"
        if self.avatar is None or self.avatar.silhouette_source == "preparing":
            return "pending"
        return "readyToUse"


# ---------------------------------------------------------------------------------------------- requests


class CompanionCreate(WireModel):
    """Body of ``POST /public/companions``: the published create fields plus our additive ones."""

    description: Personality = Field(
        description="Personality and role of the companion; becomes the base of its system prompt. Required."
    )
    first_name: Name | None = Field(default=None, description="First name.")
    last_name: Name | None = Field(default=None, description="Last name.")
    picture_url: Url | None = Field(
        None,
        description="Reference image URL (published v1 input), kept as given and not fetched: upload the "
        "avatar image itself with PUT /public/companions/{companionId}/avatar.",
    )
    video_url: Url | None = Field(
        None, description="Reference video URL (published v2 input), kept as given."
    )
    version: Version | None = Field(
        None, description="Published avatar pipeline version, `v1` or `v2`; kept."
    )
    gender: Gender | None = Field(default=None, description="`male`, `female` or `nonBinary`.")
    ethnicity: Ethnicity | None = Field(
        None, description="One of the values of GET /public/companions/ethnicities (case-insensitive)."
    )
    tags: Tags | None = Field(
        None,
        description=f"String labels (at most {MAX_TAGS}, keys and values ≤ {MAX_TAG_LENGTH} characters).",
    )
    instructions: Instructions | None = Field(
        None, description="Extension: behavior instructions added to the personality in the system prompt."
    )
    default_view: DefaultView = Field(
        DEFAULT_VIEW,
        description="Extension: how the Web SDK shows the avatar: `round` (face in a circle), `rectangle` "
        "(full frame with background; the default) or `silhouette` (background removed).",
    )


class CompanionUpdate(WireModel):
    """Body of ``PATCH /public/companions/{companionId}``: only the fields sent change; `null` resets an
    optional field to its default (`tags` to none, `defaultView` to `rectangle`); `description` is
    required and cannot be null."""

    description: NotNull[Personality] = Field(default=None, description="Personality and role.")
    first_name: Name | None = Field(default=None, description="First name.")
    last_name: Name | None = Field(default=None, description="Last name.")
    headline: Headline | None = Field(
        None, description="Short tagline, e.g. 'Senior Tech Support Specialist'."
    )
    picture_url: Url | None = Field(default=None, description="Reference image URL, kept as given.")
    video_url: Url | None = Field(default=None, description="Reference video URL, kept as given.")
    version: Version | None = Field(
        default=None, description="Published avatar pipeline version, `v1` or `v2`."
    )
    gender: Gender | None = Field(default=None, description="`male`, `female` or `nonBinary`.")
    ethnicity: Ethnicity | None = Field(
        default=None, description="One of GET /public/companions/ethnicities."
    )
    tags: Tags | None = Field(default=None, description="Replaces all tags (`null` or `{}` clears them).")
    instructions: Instructions | None = Field(default=None, description="Extension: behavior instructions.")
    default_view: DefaultView | None = Field(
        None, description="Extension: `round`, `rectangle` or `silhouette` (`null`: `rectangle`)."
    )


class CompanionListQuery(ListQuery):
    """Query of the companion lists: the published filters plus paging and search."""

    statuses: str | None = Field(
        None, description="Comma-separated statuses to keep (`pending`, `readyToUse`, ...)."
    )
    gender: Gender | None = Field(default=None, description="Keep only this gender.")
    ethnicity: str | None = Field(
        None, max_length=64, description="Keep only this ethnicity (case-insensitive)."
    )
    tags: str | None = Field(
        None,
        max_length=1000,
        description="Comma-separated `key:value` pairs; a companion must carry all of them.",
    )


# ---------------------------------------------------------------------------------------------- answers


class AvatarInfo(WireModel):
    """Extension: the uploaded avatar image."""

    content_type: str = Field(
        description="`image/jpeg`, `image/png` or `image/webp` (from the image's bytes)."
    )
    width: int = Field(description="Width in pixels.")
    height: int = Field(description="Height in pixels.")
    size_bytes: int = Field(description="Size of the image file in bytes.")
    silhouette: SilhouetteSource = Field(
        description="Where the silhouette (the person without background, a PNG with alpha) comes from: "
        "`preparing` (being cut out; the companion is `pending`), `alphaChannel` (the uploaded image's "
        "own transparency), `cutOut` (segmented at upload) or `none` (no person found: the Web SDK shows "
        "the image in its round mask instead)."
    )
    silhouette_url: str | None = Field(
        description="Short-lived (15 minutes) read URL of the silhouette PNG, or null."
    )


class Companion(WireModel):
    """A companion: the published list item fields first, then our extensions."""

    id: str = Field(description="Companion id (`comp_…`).")
    first_name: str | None = Field(description="First name.")
    last_name: str | None = Field(description="Last name.")
    preview_url: str | None = Field(
        description="The avatar image: a short-lived (15 minutes) read URL of the uploaded one (null until "
        "one is uploaded), or for stock companions the app-served built-in PNG."
    )
    video_loop_url: str | None = Field(
        description="Always null here: this platform generates no avatar video (published field)."
    )
    ethnicity: str | None = Field(description="Ethnicity.")
    gender: str | None = Field(description="`male`, `female` or `nonBinary`.")
    headline: str | None = Field(description="Short tagline, set with PATCH.")
    tags: dict[str, str] = Field(description="String labels.")
    status: CompanionStatus = Field(
        description="`readyToUse` once an avatar image is uploaded and its silhouette prepared (no "
        "video is generated here), else `pending`."
    )
    description: str = Field(description="Personality and role.")
    instructions: str | None = Field(description="Extension: behavior instructions.")
    picture_url: str | None = Field(description="Reference image URL as given at create.")
    video_url: str | None = Field(description="Reference video URL as given at create.")
    default_view: DefaultView = Field(description="Extension: `round`, `rectangle` or `silhouette`.")
    avatar: AvatarInfo | None = Field(description="Extension: the uploaded avatar image, or null.")
    is_stock: bool = Field(description="Extension: true for the built-in (napster-stock) companions.")
    created: int = Field(description="Creation time, unix seconds.")


class CompanionPage(ListEnvelope[Companion]):
    """The published list envelope of companions."""


class EthnicityList(BaseModel):
    """Extension shape (the published answer is not documented): the accepted `ethnicity` values."""

    items: list[str] = Field(description="Accepted values, in display order.")
