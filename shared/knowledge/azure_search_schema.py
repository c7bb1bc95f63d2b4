"""The knowledge index's definition on Azure AI Search, created from code (create-or-update).

A key (``id``), filterable ``project_id``, ``collection_id``, ``document_id``, searchable ``title``,
``text`` and ``heading_path`` scored by BM25, ``chunk_index``, ``page`` and, when the index is built
with ``vector_dimensions``, a vector field ``text_vector`` (``Collection(Edm.Single)``) searched through
an HNSW profile (cosine).
"""

from __future__ import annotations

from azure.search.documents.indexes.models import (
    BM25SimilarityAlgorithm,
    HnswAlgorithmConfiguration,
    HnswParameters,
    SearchableField,
    SearchField,
    SearchIndex,
    SimpleField,
    VectorSearch,
    VectorSearchAlgorithmMetric,
    VectorSearchProfile,
)

KEY_FIELD = "id"
VECTOR_FIELD = "text_vector"
VECTOR_PROFILE = "knowledge-hnsw-profile"
VECTOR_ALGORITHM = "knowledge-hnsw"


def index_definition(index_name: str, vector_dimensions: int | None) -> SearchIndex:
    """The index as the knowledge backend needs it (BM25 text; HNSW vectors when dimensions are set)."""
    fields: list[SearchField] = [
        SimpleField(name=KEY_FIELD, type="Edm.String", key=True, filterable=True, sortable=True),
        SimpleField(name="project_id", type="Edm.String", filterable=True),
        SimpleField(name="collection_id", type="Edm.String", filterable=True),
        SimpleField(name="document_id", type="Edm.String", filterable=True),
        SearchableField(name="title", type="Edm.String"),
        SearchableField(name="text", type="Edm.String"),
        SimpleField(name="chunk_index", type="Edm.Int32", filterable=True, sortable=True),
        # Searchable too: a section's name finds its chunks (as ``Chunk.context_text`` intends).
        SearchableField(name="heading_path", collection=True),
        SimpleField(name="page", type="Edm.Int32"),
    ]
    vector_search = None
    if vector_dimensions is not None:
        fields.append(
            SearchField(
                name=VECTOR_FIELD,
                type="Collection(Edm.Single)",
                searchable=True,
                retrievable=False,
                vector_search_dimensions=vector_dimensions,
                vector_search_profile_name=VECTOR_PROFILE,
            )
        )
        vector_search = VectorSearch(
            algorithms=[
                HnswAlgorithmConfiguration(
                    name=VECTOR_ALGORITHM,
                    parameters=HnswParameters(
                        m=4, ef_construction=400, ef_search=500, metric=VectorSearchAlgorithmMetric.COSINE
                    ),
                )
            ],
            profiles=[
                VectorSearchProfile(name=VECTOR_PROFILE, algorithm_configuration_name=VECTOR_ALGORITHM)
            ],
        )
    return SearchIndex(
        name=index_name,
        fields=fields,
        similarity=BM25SimilarityAlgorithm(),
        vector_search=vector_search,
    )
