"""FAQ collection shapes (docs/omniagent-public-api.md section 4;
developers.napster.com/docs/building-your-agent/knowledge/faqs).

Published: ``POST /public/faqs`` ``{name, faqs?: [{question, answer}]}`` answers
``{id: "faq_…", name, created (unix s), items: [{id: "faq_item_…", question, answer, createdAt (unix s),
updatedAt (unix s or null)}]}``; ``POST /public/faqs/{id}/items`` ``{question, answer}``.

Items are stored one entity each in their own table (an answer can be long; a collection entity holds
only its name), partition = project id, with the collection id as a field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.listing import ListEnvelope
from shared.request_json import NotNull

FAQ_ITEMS = "faqitems"
MAX_QUESTION_LENGTH = 1000
MAX_ANSWER_LENGTH = 8000
MAX_ITEMS_PER_REQUEST = 500


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaqPair(_Body):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_LENGTH, description="The question.")
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_LENGTH, description="Its answer.")


Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_LENGTH)]
Answer = Annotated[str, Field(min_length=1, max_length=MAX_ANSWER_LENGTH)]


class FaqItemUpdate(_Body):
    """Only the fields sent change; both are required of an item, so neither can be null."""

    question: NotNull[Question] = Field(None, description="The new question.")
    answer: NotNull[Answer] = Field(None, description="The new answer.")


class FaqCollectionCreate(_Body):
    name: str = Field(min_length=1, max_length=200, description="The collection's name.")
    faqs: list[FaqPair] = Field(
        default_factory=list,
        max_length=MAX_ITEMS_PER_REQUEST,
        description="Pairs to start with (optional: a collection can be filled later).",
    )


class FaqCollectionUpdate(_Body):
    name: str = Field(min_length=1, max_length=200, description="The collection's new name.")


class FaqItem(BaseModel):
    id: str = Field(description="The item id (`faq_item_…`).")
    question: str = Field(description="The question.")
    answer: str = Field(description="Its answer.")
    createdAt: int = Field(description="When the item was added (unix seconds).")
    updatedAt: int | None = Field(description="When the item was last changed (unix seconds), or null.")


class FaqCollection(BaseModel):
    id: str = Field(description="The collection id (`faq_…`).")
    name: str = Field(description="The collection's name.")
    created: int = Field(description="When the collection was created (unix seconds).")
    items: list[FaqItem] = Field(description="The collection's pairs, oldest first.")


class FaqCollectionList(ListEnvelope[FaqCollection]):
    """The published list envelope of FAQ collections."""


class FaqCollectionRecord(BaseModel):
    """Stored collection (table FAQ_COLLECTIONS, partition = project id)."""

    id: str
    name: str
    created: int
    created_ns: int = 0  # time.time_ns() at creation: the listing order within a second


class FaqItemRecord(BaseModel):
    """Stored item (table FAQ_ITEMS, partition = project id)."""

    id: str
    collection_id: str
    question: str
    answer: str
    created_at: int
    updated_at: int | None = None
    sequence: int  # time.time_ns() at creation: the listing order

    def to_wire(self) -> FaqItem:
        return FaqItem(
            id=self.id,
            question=self.question,
            answer=self.answer,
            createdAt=self.created_at,
            updatedAt=self.updated_at,
        )


def collection_of(record: FaqCollectionRecord, items: list[FaqItemRecord]) -> FaqCollection:
    ordered = sorted(items, key=lambda item: (item.sequence, item.id))
    return FaqCollection(
        id=record.id, name=record.name, created=record.created, items=[item.to_wire() for item in ordered]
    )
