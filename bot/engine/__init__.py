"""The answer engine, run by the action server: knowledge parsing, the index, the embedding model, retrieval,
the answer itself, the guides the flows read, the knowledge watcher and the evaluation (torch and faiss live here)."""
