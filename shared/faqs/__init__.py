"""FAQ collections: question and answer pairs an agent matches semantically."""
