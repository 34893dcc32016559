"""Correct one typo in a long word when exactly one lexicon word is that close ('anymroe', 'piont').

Only words the lexicon uses are targets, and short words are left alone: a swap of two
neighbouring letters is fixed from 5 letters, any one-letter slip only from 7 letters and only
towards a lexicon word of at least 7 letters (so 'prendre' never becomes 'pendre').
"""
from __future__ import annotations

from typing import Iterable

SWAP_MIN = 5
EDIT_MIN = 7


class TypoFixer:
    """Callable: word -> corrected word (or the word itself)."""

    def __init__(self, vocabulary: Iterable[str], known: Iterable[str] = ()) -> None:
        self.vocab = {w for w in vocabulary if len(w) >= SWAP_MIN and w.isalpha()}
        self.known = set(known) | set(vocabulary)
        self.deletes: dict[tuple[str, int], set[str]] = {}
        for w in self.vocab:
            if len(w) >= EDIT_MIN:
                for i in range(len(w)):
                    self.deletes.setdefault((w[:i] + w[i + 1:], i), set()).add(w)

    def __call__(self, word: str) -> str:
        if len(word) < SWAP_MIN or word in self.known or not word.isalpha():
            return word
        found = {s for s in swaps(word) if s in self.vocab and s[0] == word[0]}
        if len(word) >= EDIT_MIN - 1:
            for i in range(len(word)):
                cut = word[:i] + word[i + 1:]
                if cut in self.vocab and len(cut) >= EDIT_MIN:        # one letter too many
                    found.add(cut)
                found |= self.deletes.get((cut, i), set())             # one letter wrong
                found |= self.deletes.get((word, i), set())            # one letter missing
        found = {f for f in found if f[0] == word[0]}    # first letters are rarely mistyped
        return found.pop() if len(found) == 1 else word


def swaps(word: str) -> Iterable[str]:
    """Every word made by swapping two neighbouring letters."""
    for i in range(1, len(word) - 1):
        if word[i] != word[i + 1]:
            yield word[:i] + word[i + 1] + word[i] + word[i + 2:]
