"""The sort parameter of lists: named orderings, with unknown values falling back to
the default rather than being refused."""

from collections.abc import Iterable, Mapping, Sequence


def parse_sort(value: str | None, choices: Iterable, default: str) -> str:
    """``value`` if it names one of ``choices``, else ``default``.

    ``choices`` is a mapping keyed by sort name, or an iterable of names or of
    (name, label) pairs (Django's choices).
    """
    if isinstance(choices, Mapping):
        names = choices.keys()
    else:
        names = {c[0] if isinstance(c, tuple | list) else c for c in choices}
    return value if value in names else default


class Sorts(dict):
    """Named orderings of a list: ``{name: (label, order_by)}`` plus the default name.

    A dict, so existing ``in`` tests and ``.items()`` keep working.
    """

    def __init__(self, options: Mapping[str, tuple[str, Sequence]], default: str):
        super().__init__(options)
        if default not in self:
            raise ValueError(f"default sort {default!r} is not one of {list(self)}")
        self.default = default

    def parse(self, value: str | None) -> str:
        """The sort name asked for, or the default for a missing or unknown one."""
        return parse_sort(value, self, self.default)

    def order_by(self, name: str | None) -> tuple:
        """The ordering of a sort name (the default's for an unknown one)."""
        return tuple(self[self.parse(name)][1])

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(name, label) pairs in their order, for a select or sort links."""
        return [(name, label) for name, (label, _order) in self.items()]
