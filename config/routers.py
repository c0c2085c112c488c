from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """DRF's router with numeric ids by default: /leads/abc/ matches no route, so it gets the same 404 problem
    document as any unknown URL instead of reaching a lookup that expects a number. A viewset keyed by
    something else (stages by key) sets its own `lookup_value_regex`."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"(?P<{lookup_prefix}{kwarg}>{getattr(viewset, 'lookup_value_regex', '[0-9]+')})"
