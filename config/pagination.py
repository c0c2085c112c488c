from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination as _CursorPagination

MAX_ID = 2**63 - 1  # PostgreSQL's bigint


class CursorPagination(_CursorPagination):
    """Keyset pagination: page 10,000 costs what page 1 costs, and no COUNT(*) runs over the table.

    A cursor is opaque to clients but not to us: one that does not decode to a position in the id order is
    a 400 naming the cursor (DRF would answer 404, or fail in the database on a position that is no id)."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "The cursor is not one this API gave out; start again from the first page."

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not (position.isascii() and position.isdigit() and int(position) <= MAX_ID):
                raise self._invalid()
        return cursor

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
