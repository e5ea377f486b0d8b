"""Response headers the whole site needs."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


class PrivateCacheMiddleware:
    """What a signed-in person sees, and every download, is theirs: no shared cache
    (a proxy, a CDN) stores it and the browser keeps no copy on disk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or response.has_header("Content-Disposition"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
        return response
