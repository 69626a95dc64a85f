"""
Uploads are judged by their content, never their name: the size limit
first, then the magic number (PDF, JPEG, PNG), then a structural check
(a PDF's header and trailer; an image's declared size against a pixel limit
*before* any decoding, then a full decode with Pillow), and for a photo, the
published photo requirements. Everything here runs before anything is stored.

Pillow's own decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is a
process-wide setting; we never change it (no global state) and check our
own, lower limit from the image header before decoding.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable

import attrs
from PIL import Image, ImageChops, UnidentifiedImageError

from ircc_account.errors import (
    DocumentBomb,
    DocumentCorrupt,
    DocumentRejected,
    DocumentTooLarge,
    DocumentTypeRefused,
    PhotoRejected,
)
from ircc_account.services import BilingualText

from ._model import Source

__all__ = [
    "Inspected",
    "PhotoCheck",
    "PhotoRequirements",
    "UploadLimits",
    "inspect_upload",
]

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_PDF_HEADER = re.compile(rb"%PDF-(1\.[0-7]|2\.0)[\r\n]")
_PDF_TRAILER = re.compile(rb"startxref\s+[0-9]{1,12}\s+%%EOF\s*$")
#: A PNG's last chunk, IEND, with its fixed CRC (PNG specification, §11.2.5).
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


@attrs.frozen
class UploadLimits:
    """
    Limits on every upload, checked before anything is stored.

    Attributes:
        max_bytes: The largest file (10 MiB by default).
        max_pixels: The most pixels an image may declare (25 million by
            default: a 6,000 × 4,000 phone photo fits; far below Pillow's
            own bomb limit, so Pillow never has to intervene).
    """

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 25_000_000


@attrs.frozen
class Inspected:
    """
    What an upload turned out to be.

    Attributes:
        content_type: Sniffed from the content.
        width: An image's width in pixels (0 for a PDF).
        height: An image's height in pixels (0 for a PDF).
    """

    content_type: str
    width: int = 0
    height: int = 0


@attrs.frozen
class PhotoCheck:
    """
    One photo requirement's wording, for the refusal when it fails.

    Attributes:
        requirement: What is required, in both languages.
        source: Where it is published.
    """

    requirement: BilingualText
    source: Source | None = None


@attrs.frozen(kw_only=True)
class PhotoRequirements:
    """
    A digital photo's published requirements, checked on every photo upload.

    Attributes:
        formats: Accepted content types (``image/jpeg``).
        min_width: The fewest pixels across.
        min_height: The fewest pixels down.
        max_width: The most pixels across.
        max_height: The most pixels down.
        aspect: Width to height, as a ratio (7, 9).
        aspect_tolerance: How far the ratio may stray, as a fraction (0.02: 2 %).
        min_bytes: The smallest file.
        max_bytes: The largest file.
        colour: Whether the photo must be in colour.
        checks: The wording of each check by name (``format``, ``size``,
            ``aspect``, ``min_bytes``, ``max_bytes``, ``colour``).
    """

    formats: frozenset[str] = frozenset({JPEG})
    min_width: int
    min_height: int
    max_width: int
    max_height: int
    aspect: tuple[int, int]
    aspect_tolerance: float = 0.02
    min_bytes: int = 0
    max_bytes: int
    colour: bool = True
    checks: dict[str, PhotoCheck] = attrs.field(factory=dict, hash=False)

    def refuse(self, check: str) -> PhotoRejected:
        """The refusal for *check*, worded as the requirement."""
        wording = self.checks[check].requirement
        return PhotoRejected(check=check, requirement_en=wording.en, requirement_fr=wording.fr)


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _accepted(types: Iterable[str]) -> str:
    return ", ".join(sorted(_NAMES.get(t, t) for t in types))


def _check_pdf(data: bytes) -> None:
    # PDF 2.0 (ISO 32000-2) §7.5.2 File header and §7.5.5 File trailer: the
    # file begins "%PDF-n.m" and its last line is "%%EOF", after
    # "startxref" and the byte offset of the last cross-reference section.
    if not _PDF_HEADER.match(data[:16]) or not _PDF_TRAILER.search(data[-1024:]):
        raise DocumentCorrupt()
    offset = int(_PDF_TRAILER.search(data[-1024:]).group(0).split()[1])  # type: ignore[union-attr]
    if offset >= len(data):
        raise DocumentCorrupt()


def _open_image(data: bytes, content_type: str, limits: UploadLimits) -> Image.Image:
    expected = _PIL_FORMATS[content_type]
    if content_type == PNG and not data.endswith(_PNG_END):
        # Pillow decodes a PNG whose image data is whole even without its
        # end; a file cut short is corrupt all the same.
        raise DocumentCorrupt()
    try:
        with warnings.catch_warnings():
            # Pillow warns (then refuses) past its own limit; ours is lower,
            # but a host that raised ours must still get a typed refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[expected])
            width, height = image.size
            if width <= 0 or height <= 0:
                raise DocumentCorrupt()
            if width * height > limits.max_pixels:
                raise DocumentBomb(limit=limits.max_pixels)
            image.load()
    except DocumentRejected:
        # Ours, raised above; DocumentRejected is a ValueError, which the
        # last clause would otherwise turn into "corrupt".
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DocumentBomb(limit=limits.max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise DocumentCorrupt() from None
    if image.format != expected:
        raise DocumentCorrupt()
    return image


def inspect_upload(
    data: bytes,
    *,
    accepted: Iterable[str],
    limits: UploadLimits,
    photo: PhotoRequirements | None = None,
) -> Inspected:
    """
    Judge an upload by its content.

    Args:
        data: The file's bytes.
        accepted: The content types this checklist entry accepts.
        limits: The size and pixel limits.
        photo: For a photo, its requirements.

    Raises:
        DocumentTooLarge: empty, or over the size limit.
        DocumentTypeRefused: the content is not an accepted type (whatever its name).
        DocumentBomb: an image declaring more pixels than allowed (not decoded).
        DocumentCorrupt: damaged or truncated.
        PhotoRejected: a photo requirement is not met.
    """
    accepted = frozenset(accepted)
    if not isinstance(data, bytes | bytearray) or not 0 < len(data) <= limits.max_bytes:
        raise DocumentTooLarge(limit=limits.max_bytes)
    data = bytes(data)
    content_type = _sniff(data)
    if content_type is None or content_type not in accepted:
        raise DocumentTypeRefused(accepted=_accepted(accepted))
    if content_type == PDF:
        _check_pdf(data)
        return Inspected(content_type=PDF)
    image = _open_image(data, content_type, limits)
    with image:
        if photo is not None:
            check_photo(data, content_type, image, photo)
        return Inspected(content_type=content_type, width=image.width, height=image.height)


def check_photo(
    data: bytes, content_type: str, image: Image.Image, rules: PhotoRequirements
) -> None:
    """
    Check a decoded photo against *rules*, in the order a person would fix
    them: format, file size, pixel dimensions, shape, colour.

    Raises:
        PhotoRejected: the first requirement not met, worded as published.
    """
    if content_type not in rules.formats:
        raise rules.refuse("format")
    if len(data) > rules.max_bytes:
        raise rules.refuse("max_bytes")
    if len(data) < rules.min_bytes:
        raise rules.refuse("min_bytes")
    width, height = image.size
    if not (
        rules.min_width <= width <= rules.max_width
        and rules.min_height <= height <= rules.max_height
    ):
        raise rules.refuse("size")
    want = rules.aspect[0] / rules.aspect[1]
    if abs(width / height - want) > want * rules.aspect_tolerance:
        raise rules.refuse("aspect")
    if rules.colour and _greyscale(image):
        raise rules.refuse("colour")


def _greyscale(image: Image.Image) -> bool:
    """
    Whether the photo has no colour: a grey or black-and-white mode, or an
    RGB image whose channels are (near) equal everywhere, judged on a
    thumbnail so a large photo costs little.
    """
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return True
    small = image.convert("RGB").resize((64, 64))
    red, green, blue = small.split()
    spread: float = 0
    for a, b in ((red, green), (green, blue)):
        extrema = ImageChops.difference(a, b).getextrema()
        high = extrema[1]
        spread = max(spread, high if isinstance(high, int | float) else 255)
    return spread <= 8
