"""Serving a stored file with HTTP range requests (206), so audio and video seek and stream.

Django's ``FileResponse`` always sends the whole file; a phone's player asks for ``bytes=0-`` and
then for the part it seeks to. One ``bytes=a-b`` range is served (browsers ask for no more);
anything else gets the whole file, and a range past the end a 416.
"""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _parse(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) of a satisfiable single range; None for no usable range; False for a 416."""
    match = RANGE_RE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last N bytes
        length = int(match[2])
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    first = int(match[1])
    last = int(match[2]) if match[2] else size - 1
    if first >= size or last < first:
        return False
    return first, min(last, size - 1)


def _chunks(handle, first: int, length: int):
    try:
        handle.seek(first)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def ranged_file_response(
    request: HttpRequest, stored, *, content_type: str, filename: str = "", attachment: bool = False
) -> HttpResponse:
    """A response for ``stored`` (a FieldFile): 206 with the asked range, else 200 with the file."""
    try:
        handle = stored.open("rb")
        size = stored.size
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    wanted = _parse(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
    if wanted is False:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = FileResponse(handle, content_type=content_type, as_attachment=attachment, filename=filename or None)
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            _chunks(handle, first, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
        if filename:
            from urllib.parse import quote

            kind = "attachment" if attachment else "inline"
            response["Content-Disposition"] = f"{kind}; filename*=UTF-8''{quote(filename)}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
