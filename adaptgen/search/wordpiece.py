"""BERT's WordPiece tokenizer, in pure Python: text to the sentence model's token ids.

The same steps as BERT's uncased tokenizer (the table was distilled over its vocabulary):
lower-case, strip accents, split on whitespace and punctuation, then each word into the
longest vocabulary pieces from its start, `##` marking a continuation. A word that cannot be
split is `[UNK]`, which the caller leaves out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

CONTINUATION = "##"
MAX_WORD_CHARS = 100
# ASCII text's words and marks at once: runs of letters and digits, and each of the ASCII
# marks BERT counts as punctuation; spaces and control characters only separate.
_ASCII_ITEMS = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")


def basic_words(text: str) -> list[str]:
    """Lower-cased, accent-free words and punctuation marks, each its own item."""
    if text.isascii():
        return _ASCII_ITEMS.findall(text.lower())  # what the loop below gives, 10x faster
    text = unicodedata.normalize("NFD", text.lower())
    out: list[str] = []
    word: list[str] = []
    for char in text:
        if unicodedata.category(char) == "Mn":
            continue
        if char.isspace() or _is_control(char):
            _flush(word, out)
        elif _is_punctuation(char) or _is_cjk(char):
            _flush(word, out)
            out.append(char)
        else:
            word.append(char)
    _flush(word, out)
    return out


def pieces(word: str, vocab: Mapping[str, int]) -> list[str] | None:
    """Greedy longest-match pieces of one word, or None when a part matches nothing."""
    if len(word) > MAX_WORD_CHARS:
        return None
    found = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
            if piece in vocab:
                found.append(piece)
                break
            end -= 1
        else:
            return None
        start = end
    return found


def _flush(word: list[str], out: list[str]) -> None:
    if word:
        out.append("".join(word))
        word.clear()


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r"


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True  # BERT counts every ASCII non-alphanumeric as punctuation (`$`, `^`)
    return unicodedata.category(char).startswith("P")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )
