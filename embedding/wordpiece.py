"""The model's own WordPiece tokenizer (BERT's: lower case, accents stripped, punctuation
split, greedy longest-match word pieces), in plain Python.

The vocabulary is all-MiniLM-L6-v2's (``data/vocab/all-MiniLM-L6-v2-vocab.txt``,
Apache-2.0), checked against its sha256; the token ids are the model's
``tokenizer.json``'s, without the ``tokenizers`` package (whose pins clash with
Rasa's ``huggingface_hub``).  Used by :mod:`embedding.minilm`.
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

VOCAB_PATH = Path(__file__).resolve().parent.parent / "data" / "vocab" / "all-MiniLM-L6-v2-vocab.txt"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
# The model was trained on up to 128 word pieces (its tokenizer truncates there).
MAX_TOKENS = 128


class EmbeddingModelError(RuntimeError):
    """The embedding model or its vocabulary is missing or not the expected file."""


class WordPieceTokenizer:
    """BERT's uncased tokenizer (BertNormalizer + BertPreTokenizer + WordPiece), in plain Python."""

    def __init__(self, vocab: Sequence[str], *, cls: str = "[CLS]", sep: str = "[SEP]") -> None:
        """``cls`` / ``sep``: the tokens around a text (MPNet's are ``<s>`` and ``</s>``)."""
        self.vocab = {token: index for index, token in enumerate(vocab)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab[cls]
        self.sep = self.vocab[sep]

    @classmethod
    def from_file(cls, path: Path = VOCAB_PATH, sha256: str | None = VOCAB_SHA256, *,
                  cls_token: str = "[CLS]", sep_token: str = "[SEP]") -> WordPieceTokenizer:
        data = path.read_bytes()
        if sha256 and hashlib.sha256(data).hexdigest() != sha256:
            raise EmbeddingModelError(f"{path.name}: not the expected vocabulary (sha256 differs)")
        return cls(data.decode("utf-8").splitlines(), cls=cls_token, sep=sep_token)

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        """Token ids with [CLS] and [SEP], at most ``max_tokens`` in all."""
        ids = [self.cls]
        for word in self._words(text):
            ids.extend(self._word_pieces(word))
            if len(ids) >= max_tokens - 1:
                ids = ids[: max_tokens - 1]
                break
        ids.append(self.sep)
        return ids

    def _words(self, text: str) -> list[str]:
        out = []
        for ch in text:
            code = ord(ch)
            if code == 0 or code == 0xFFFD or _is_control(ch):
                continue
            if _is_whitespace(ch):
                out.append(" ")
            elif _is_cjk(code):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out).lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        words: list[str] = []
        for chunk in text.split():
            start = 0
            for i, ch in enumerate(chunk):
                if _is_punctuation(ch):
                    if start < i:
                        words.append(chunk[start:i])
                    words.append(ch)
                    start = i + 1
            if start < len(chunk):
                words.append(chunk[start:])
        return words

    def _word_pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces


def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs")


def _is_punctuation(ch: str) -> bool:
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F
    )
