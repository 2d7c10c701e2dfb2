"""Paged list calls that cannot loop forever: a page token the server hands out twice stops the listing.

A server that never advances its token (a bug, or the simulator's `pageSize: 0`) would otherwise keep a reader at
100% CPU for ever. The listing then fails like any other read: a `ReadError`, the report incomplete, exit 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

Page = TypeVar("Page")


class PageTokenStuck(Exception):
    """The server returned a page token it had already returned: following it would never end."""

    def __init__(self, token: str, pages: int) -> None:
        super().__init__(
            f"the server's page token does not advance (token {token[:40]!r} again after {pages} page(s)): "
            "the listing was stopped and the rest is unread"
        )


class PageTokens:
    """Remembers the tokens of one listing; `advance` refuses one seen before."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def advance(self, token: str) -> str:
        """The next request's token; "" ends the listing. Raises PageTokenStuck on a repeated token."""
        if token and token in self._seen:
            raise PageTokenStuck(token, len(self._seen) + 1)
        self._seen.add(token)
        return token


def advancing(pages: Iterable[Page]) -> Iterator[Page]:
    """The pages of a google-api-core pager (`pager.pages`), stopping with PageTokenStuck when the token repeats.

    Each page is yielded before its token is checked, so what was read is kept.
    """
    tokens = PageTokens()
    for page in pages:
        yield page
        tokens.advance(_token(page))


def _token(page: Any) -> str:
    return str(getattr(page, "next_page_token", "") or "")
