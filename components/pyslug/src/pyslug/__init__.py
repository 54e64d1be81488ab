"""URL slugs from any text."""

import re
import unicodedata

__all__ = ["slugify", "unique_slug"]

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 64, separator: str = "-") -> str:
    """Return a lower-case ASCII slug of text.

    Accents are folded ("é" becomes "e"), anything that is not a letter or a
    digit separates words, and a slug longer than max_length is cut at the
    last separator that fits (or hard, when a single word is too long).
    """
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    if not separator or _NOT_WORD.fullmatch(separator) is None:
        raise ValueError(f"separator {separator!r} must be non-empty punctuation")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_WORD.sub(separator, folded.lower()).strip(separator)
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1].rfind(separator)
    return slug[:cut] if cut > 0 else slug[:max_length]


def unique_slug(text: str, taken: set[str], max_length: int = 64) -> str:
    """Return slugify(text), suffixed with -2, -3, ... until it is not in taken."""
    base = slugify(text, max_length) or "item"
    slug, n = base, 1
    while slug in taken:
        n += 1
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)].rstrip("-") + suffix
    return slug
