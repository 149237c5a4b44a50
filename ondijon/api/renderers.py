"""The browsable API: DRF's pages, under the site's policy with their inline styles allowed."""

from rest_framework.renderers import BrowsableAPIRenderer

from ondijon.csp import with_inline_styles


class BrowsableAPI(BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        page = super().render(data, accepted_media_type, renderer_context)
        response = (renderer_context or {}).get("response")
        if response is not None:
            with_inline_styles(response)
        return page
