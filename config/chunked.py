"""Request bodies sent with ``Transfer-Encoding: chunked`` (no Content-Length).

Django reads a body only up to its Content-Length, so such a request would look empty to every
view ("a list of measurements is required"). gunicorn decodes the chunks and says so
(``wsgi.input_terminated``): this WSGI middleware reads the decoded body, up to the upload
limit, and hands it on with its length. A server that does not decode chunks gets 411 (the
client must send a Content-Length), a body over the limit 413.
"""

import io
import json
from http import HTTPStatus

from django.conf import settings

API_PREFIX = "/api/"
NO_LIMIT_CAP = 100 * 1024 * 1024  # when DATA_UPLOAD_MAX_MEMORY_SIZE is None


class ChunkedBodyMiddleware:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            if not environ.get("wsgi.input_terminated"):
                return self._refuse(environ, start_response, 411, "Send a Content-Length.")
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or NO_LIMIT_CAP
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return self._refuse(
                    environ, start_response, 413, f"The body is over {limit:,} bytes."
                )
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)

    @staticmethod
    def _refuse(environ, start_response, status: int, detail: str):
        phrase = HTTPStatus(status).phrase
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            from clients.problems import CONTENT_TYPE, problem  # after Django is set up

            body, content_type = json.dumps(problem(status, detail)).encode(), CONTENT_TYPE
        else:
            body, content_type = detail.encode(), "text/plain; charset=utf-8"
        start_response(
            f"{status} {phrase}",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]
