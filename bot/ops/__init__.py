"""Operations: `trolyso doctor` (is this installation ready to serve?), `trolyso backup` and `trolyso restore`.

Importable without torch, faiss or numpy (an import-linter contract keeps it so): the checks read the index's
manifest and the model's files, they never load them."""
