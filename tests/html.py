"""Assertions on markup through a parser (the standard library's html.parser), not substrings.

    select(html, "a", href="/x/")          every <a href="/x/"> (attrs must match exactly;
                                           class_="btn" matches one class among several)
    select_one(html, "section", id="add")  exactly one, or the test fails saying how many
    element.text                           its text content, whitespace collapsed

`html` is a string, a response, or an Element (to search inside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts: list[str] = []

        def walk(node: Element) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return " ".join("".join(parts).split())

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("[document]")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        # Close up to the nearest open element of that name (tolerates unclosed <p>, <li>).
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html) -> Element:
    if isinstance(html, Element):
        return html
    if hasattr(html, "content"):  # a test-client response
        html = html.content.decode()
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _matches(element: Element, tag: str | None, attrs: dict[str, str | None]) -> bool:
    if tag is not None and element.tag != tag:
        return False
    for name, wanted in attrs.items():
        if name == "class_":
            if not set(wanted.split()) <= element.classes:
                return False
            continue
        name = name.replace("_", "-")
        if name not in element.attrs:
            return False
        if wanted is not True and element.attrs[name] != wanted:
            return False
    return True


def select(html, tag: str | None = None, **attrs) -> list[Element]:
    """Every element named `tag` (any tag if None) whose attributes match `attrs`.

    Underscores in attribute names stand for hyphens (aria_label=, hx_swap_oob=);
    a value of True only requires the attribute to be present.
    """
    return [element for element in parse(html).iter() if _matches(element, tag, attrs)]


def select_one(html, tag: str | None = None, **attrs) -> Element:
    found = select(html, tag, **attrs)
    assert len(found) == 1, f"expected one <{tag or '*'} {attrs}>, found {len(found)}"
    return found[0]


def texts(html, tag: str | None = None, **attrs) -> list[str]:
    return [element.text for element in select(html, tag, **attrs)]


def top_level(html) -> list[str]:
    """The tag names of the outermost elements (a fragment is one <section>, not a page)."""
    return [child.tag for child in parse(html).children if isinstance(child, Element)]


def inline_styles_and_scripts(html) -> list[str]:
    """Every style="" attribute, hx-on handler and <script> without src, as "tag attr"."""
    found = []
    for element in parse(html).iter():
        found += [f"{element.tag} {name}" for name in element.attrs if name == "style"]
        found += [f"{element.tag} {name}" for name in element.attrs if name.startswith("hx-on")]
        if element.tag == "script" and not element.get("src"):
            found.append("script")
    return found
