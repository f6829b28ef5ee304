"""A small polite JSON-over-HTTP client: a minimum interval between requests, retries with
exponential backoff on 429 (honouring Retry-After) and 5xx, German errors otherwise."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from anfragen.errors import AnfragenError

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class FetchError(AnfragenError):
    """The API refused, kept failing, or answered something the fetcher cannot trust."""


@dataclass
class PoliteClient:
    base_url: str
    headers: dict = field(default_factory=dict)
    min_interval: float = 1.0  # seconds between requests: one a second is polite for DIP
    retries: int = 5
    backoff: float = 2.0  # first wait; doubled on every further failure
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    _last: float | None = None

    def url(self, path: str, params: list[tuple[str, str]]) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}?{urllib.parse.urlencode(params)}"

    def wait_turn(self) -> None:
        if self._last is not None:
            self.sleep(max(0.0, self.min_interval - (self.clock() - self._last)))
        self._last = self.clock()

    def get_json(self, path: str, params: list[tuple[str, str]]) -> dict:
        url = self.url(path, params)
        for attempt in range(self.retries + 1):
            self.wait_turn()
            self.requests += 1
            try:
                req = urllib.request.Request(url, headers=self.headers)
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as e:
                if e.code not in RETRY_STATUS or attempt == self.retries:
                    raise FetchError(self.http_message(e, path)) from e
                self.sleep(self.retry_wait(e, attempt))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                if attempt == self.retries:
                    raise FetchError(f"{self.base_url} nicht erreichbar ({e}); Netz prüfen und "
                                     "denselben Aufruf wiederholen (er setzt fort)") from e
                self.sleep(self.backoff * 2**attempt)
            except json.JSONDecodeError as e:
                raise FetchError(f"{path}: Antwort ist kein JSON ({e})") from e
        raise AssertionError("unreachable")

    def retry_wait(self, e: urllib.error.HTTPError, attempt: int) -> float:
        after = e.headers.get("Retry-After", "") if e.headers else ""
        if after.strip().isdigit():
            return float(after)
        return self.backoff * 2**attempt

    def http_message(self, e: urllib.error.HTTPError, path: str) -> str:
        try:
            detail = json.loads(e.read().decode("utf-8")).get("message", "")
        except (ValueError, AttributeError, OSError):
            detail = ""
        if e.code == 401:
            return ("Die API lehnt den Schlüssel ab (HTTP 401). ANFRAGEN_DIP_KEY auf einen "
                    "gültigen DIP-API-Schlüssel setzen (https://dip.bundestag.de/über-dip/hilfe/"
                    "api).")
        tries = f" nach {self.retries + 1} Versuchen" if e.code in RETRY_STATUS else ""
        return f"{path}: HTTP {e.code}{tries} ({detail or e.reason}); später erneut versuchen"
