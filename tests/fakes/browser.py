"""A stand-in web browser for `keito sync connect`: BROWSER="python /abs/path/browser.py %s".

It opens the authorization URL without following redirects (the fake consents at once and
answers 302), then opens the Location it was sent to: the one-shot 127.0.0.1 listener of
`keito sync connect`. Standard library only, so any interpreter can run it.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def visit(url: str) -> int:
    """Follow the consent redirect by hand; 0 when the loopback listener answered 2xx."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=30)
        print(f"browser: {url} did not redirect", file=sys.stderr)
        return 1
    except urllib.error.HTTPError as answer:
        location = answer.headers.get("Location")
        if answer.code not in (301, 302, 303, 307) or not location:
            print(f"browser: {url} answered {answer.code}", file=sys.stderr)
            return 1
    with urllib.request.urlopen(location, timeout=30) as landing:
        return 0 if 200 <= landing.status < 300 else 1


if __name__ == "__main__":
    raise SystemExit(visit(sys.argv[1]))
