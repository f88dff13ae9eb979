"""JSON out with exact decimals: a Decimal is written as its own digits, never via float.

DRF's encoder turns Decimal into float, which rounds values past 15-17 significant digits
(a stored 99999999999999.999999 would come back as 100000000000000.0). simplejson writes
Decimals as JSON numbers digit for digit; everything else goes through DRF's encoder.
"""

import simplejson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class ExactJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return simplejson.dumps(
            data,
            use_decimal=True,
            default=JSONEncoder().default,
            ensure_ascii=self.ensure_ascii,
            allow_nan=not self.strict,
            separators=(",", ":") if self.compact else (", ", ": "),
        ).encode()
