"""Knowledge: collections (knowledge bases), text extraction, chunking, embeddings and the two indexes
(embedded SQLite FTS5, Azure AI Search). Upload endpoints, ingestion and grounding come next."""
