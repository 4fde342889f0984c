"""The fonts an invoice PDF embeds, so any text the user typed prints as typed.

The body font is Fira Sans (the `fontpkg-fira-sans` package: regular, bold, italic, bold
italic), which covers Latin with its accents, Greek, Cyrillic, Vietnamese and the currency
signs ₹ ₩ € £ ¥ ₪ ₦ ฿ ₫ ₴ ₺ (not ₱: a peso invoice prints PHP). Chinese, Japanese and Korean
come from Noto Sans SC, JP, KR and TC when the `justmytype-intl-cjk` package is installed (a
dependency): each run of characters Fira Sans lacks is set in the first of them that has it,
text with kana preferring JP and text with Hangul KR, so a name keeps one script's glyph forms.

Those four are variable fonts whose default is their thinnest weight, which reportlab would
embed as it is. With fontTools (which that package brings) each document gets its own small
font cut from them for just the characters it prints, at the regular weight (400) and, for
bold text, at 700; a few tenths of a second, only for a document with such text, and cached
per set of characters. Every font is embedded as a subset of the glyphs used.

reportlab is imported here, so only the PDF renderer imports this module.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile

from keito_core.errors import KeitoError

#: The family name paragraphs use; `<b>` and `<i>` pick its bold and italic members.
FAMILY = "KeitoSans"
BOLD = f"{FAMILY}-Bold"
_FACES = {
    FAMILY: "FiraSans-Regular.ttf",
    BOLD: "FiraSans-Bold.ttf",
    f"{FAMILY}-Italic": "FiraSans-Italic.ttf",
    f"{FAMILY}-BoldItalic": "FiraSans-BoldItalic.ttf",
}
#: The CJK fallbacks, in the order a character is looked up when the text prefers none.
CJK_FILES = {
    "SC": "notosanssc/NotoSansSC[wght].ttf",
    "JP": "notosansjp/NotoSansJP[wght].ttf",
    "KR": "notosanskr/NotoSansKR[wght].ttf",
    "TC": "notosanstc/NotoSansTC[wght].ttf",
}
REGULAR_WEIGHT, BOLD_WEIGHT = 400, 700


def _package_dir(name: str) -> Path | None:
    """Where the installed package `name` lives, without importing it; None when missing."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


@functools.cache
def register() -> str:
    """Register the body family with reportlab (once per process); its name."""
    root = _package_dir("fontpkg_fira_sans")
    if root is None:
        raise KeitoError("config_error", "the invoice font (the fontpkg-fira-sans package) is "
                         "not installed", hint="pip install fontpkg-fira-sans")
    for name, file in _FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(root / "files" / file)))
    pdfmetrics.registerFontFamily(FAMILY, normal=FAMILY, bold=BOLD, italic=f"{FAMILY}-Italic",
                                  boldItalic=f"{FAMILY}-BoldItalic")
    return FAMILY


@functools.cache
def _main_chars() -> frozenset[int]:
    """The code points the body font has glyphs for."""
    register()
    return frozenset(pdfmetrics.getFont(FAMILY).face.charToGlyph)  # type: ignore[attr-defined]


@functools.cache
def cjk_sources() -> tuple[tuple[str, Path], ...]:
    """The installed CJK fonts as (key, file), in lookup order; () without the package."""
    root = _package_dir("justmytype_intl_cjk")
    if root is None:
        return ()
    files = ((key, root / "fonts" / "ofl" / file) for key, file in CJK_FILES.items())
    return tuple((key, path) for key, path in files if path.is_file())


@functools.cache
def _chars_of(path: Path) -> frozenset[int]:
    """The code points the font at `path` has glyphs for."""
    return frozenset(TTFontFile(str(path), validate=0).charToGlyph)


def _cut(path: Path, codes: frozenset[int], weights: tuple[int, ...]) -> list[bytes]:
    """TrueType fonts with only `codes`' glyphs of the variable font at `path`, one per weight
    (the subsetting, the slow part, is done once)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont as ToolsFont
    from fontTools.varLib import instancer

    font = ToolsFont(str(path), lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codes))
    subsetter.subset(font)
    cuts = []
    for weight in weights:
        instance = (instancer.instantiateVariableFont(font, {"wght": weight}) if "fvar" in font
                    else font)
        _rename(instance, "Bold" if weight >= BOLD_WEIGHT else "Regular")
        output = io.BytesIO()
        instance.save(output)
        cuts.append(output.getvalue())
    return cuts


def _rename(font: Any, style: str) -> None:
    """Name a cut font after its weight (the variable font calls itself by its default, Thin)."""
    table = font["name"]
    family = str(table.getDebugName(16) or table.getDebugName(1) or "NotoSansCJK")
    family = family.removesuffix(" Thin").replace(" ", "")
    for record in table.names:
        if record.nameID == 6:
            record.string = f"{family}-{style}"
        elif record.nameID == 2:
            record.string = style


@functools.cache
def _whole_family(key: str, path: Path) -> str:
    """Register the variable font `key` as it is (its default, thinnest weight) for every
    style; its name. Used when fontTools is not installed."""
    name = f"KeitoCJK-{key}"
    pdfmetrics.registerFont(TTFont(name, str(path), validate=0))
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return name


@functools.cache
def _cjk_family(key: str, path: Path, codes: frozenset[int]) -> str:
    """Register a family cut from the CJK font `key` for `codes`, regular and bold; its name."""
    if importlib.util.find_spec("fontTools") is None:
        return _whole_family(key, path)
    digest = hashlib.sha1(repr(sorted(codes)).encode(), usedforsecurity=False).hexdigest()[:10]
    name, bold = f"KeitoCJK-{key}-{digest}", f"KeitoCJK-{key}-{digest}-Bold"
    regular_font, bold_font = _cut(path, codes, (REGULAR_WEIGHT, BOLD_WEIGHT))
    pdfmetrics.registerFont(TTFont(name, io.BytesIO(regular_font)))
    pdfmetrics.registerFont(TTFont(bold, io.BytesIO(bold_font)))
    pdfmetrics.registerFontFamily(name, normal=name, bold=bold, italic=name, boldItalic=bold)
    return name


def _is_kana(code: int) -> bool:
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D


def _is_hangul(code: int) -> bool:
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _escape_lines(text: str) -> str:
    return "<br/>".join(escape(line) for line in text.replace("\r\n", "\n").split("\n"))


class DocumentFonts:
    """The fonts one document prints with: the body family, and CJK fonts made for its text.

    Give it every text the document prints, so the CJK fonts are cut once; a text it was not
    given still prints (a new font is cut for it).
    """

    def __init__(self, texts: Iterable[str] = ()) -> None:
        register()
        self._main = _main_chars()
        self._sources = cjk_sources()
        self._covered: dict[str, frozenset[int]] = {}
        self._families: dict[str, str] = {}
        needed: dict[str, set[int]] = {}
        for value in texts:
            for key, run in self._runs(value):
                if key is not None:
                    needed.setdefault(key, set()).update(map(ord, run))
        for key, codes in needed.items():
            self._extend(key, codes)

    def _order(self, text: str) -> list[tuple[str, Path]]:
        """The CJK fonts in the order `text` prefers: JP for kana, KR for Hangul, else SC."""
        codes = [ord(c) for c in text]
        preferred = ("JP" if any(map(_is_kana, codes))
                     else "KR" if any(map(_is_hangul, codes)) else None)
        return self._first(preferred)

    def _first(self, key: str | None) -> list[tuple[str, Path]]:
        """The CJK fonts with `key` first."""
        return sorted(self._sources, key=lambda source: source[0] != key)

    def _font_for(self, code: int, order: list[tuple[str, Path]]) -> str | None:
        """The CJK font that sets `code`: kana in JP and Hangul in KR when they are installed,
        anything else in the text's preferred order."""
        if _is_kana(code):
            order = self._first("JP")
        elif _is_hangul(code):
            order = self._first("KR")
        return next((key for key, path in order if code in _chars_of(path)), None)

    def _runs(self, text: str) -> list[tuple[str | None, str]]:
        """`text` cut into runs, each with the CJK font that sets it (None: the body font)."""
        if all(ord(c) in self._main or c in "\r\n" for c in text):
            return [(None, text)]
        order = self._order(text)
        runs: list[tuple[str | None, str]] = []
        current: list[str] = []
        font: str | None = None
        for char in text:
            code = ord(char)
            if char.isspace() or code in self._main:
                wanted = font if char.isspace() else None
            else:
                wanted = self._font_for(code, order)
            if wanted != font and current:
                runs.append((font, "".join(current)))
                current = []
            font = wanted
            current.append(char)
        if current:
            runs.append((font, "".join(current)))
        return runs

    def _extend(self, key: str, codes: set[int]) -> None:
        """Make sure font `key`'s family covers `codes` (cutting a new one if not)."""
        codes = {c for c in codes if c not in (0x0A, 0x0D)}
        if codes <= self._covered.get(key, frozenset()):
            return
        wanted = frozenset(codes | self._covered.get(key, frozenset()) | {0x20})
        path = dict(self._sources)[key]
        self._families[key] = _cjk_family(key, path, wanted)
        self._covered[key] = wanted

    def markup(self, text: str) -> str:
        """`text` as paragraph markup: escaped, line breaks kept, and each run of characters
        the body font lacks wrapped in `<font name=...>` of a font that has them."""
        parts: list[str] = []
        for key, run in self._runs(text):
            if key is None:
                parts.append(_escape_lines(run))
                continue
            self._extend(key, set(map(ord, run)))
            parts.append(f'<font name="{self._families[key]}">{_escape_lines(run)}</font>')
        return "".join(parts)

    def can_print(self, text: str) -> bool:
        """Whether every character of `text` has a glyph in the body or a CJK font."""
        missing = {ord(c) for c in text if not c.isspace() and ord(c) not in self._main}
        return all(any(code in _chars_of(path) for _, path in self._sources)
                   for code in missing)
