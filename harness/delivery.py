"""The viewer's side (test code): a CDN in front of the origin and a viewer that plays the channel.

MediaTailor UG, "Understand MediaTailor channel assembly CDN architecture": viewers request
manifests from the CDN, which forwards them to channel assembly; channel assembly assembles them
from the source manifests it requests from the origin (with the access token, MediaTailor UG,
"How MediaTailor Secrets Manager access token authentication works"); viewers then request
segments through the CDN, which routes them to the origin. A viewer never holds the token.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .clock import SimulatedClock
from .mediatailor import Fetch
from .origins import CAUSE_HEADER, Answer


@dataclass
class Cdn:
    """A CDN distribution with one origin. Like CloudFront's origin custom headers
    (CloudFront Developer Guide, "Add custom headers to origin requests"), it adds the same
    headers to every request it forwards to the origin. A configuration change reaches every
    edge location only ``propagation_seconds`` later (CloudFront: the distribution is
    ``Deployed`` once the change has reached all edges; CloudFront does not promise how long
    that takes, so it is a parameter here); meanwhile some edges send the old headers and some
    the new, so a viewer's request may carry either."""

    clock: SimulatedClock
    origin_base_url: str
    propagation_seconds: float = 300.0
    _configs: list[tuple[float, dict[str, str]]] = field(default_factory=list)

    def configure(self, origin_custom_headers: Mapping[str, str]) -> None:
        if self._configs and self._configs[-1][1] == dict(origin_custom_headers):
            return
        self._configs.append((self.clock.now, dict(origin_custom_headers)))

    def remove(self) -> None:
        self._configs.clear()

    @property
    def exists(self) -> bool:
        return bool(self._configs)

    def headers_in_flight(self) -> list[dict[str, str]]:
        """Every set of origin custom headers some edge may still send now."""
        if not self._configs:
            return []
        deployed = 0
        for index, (changed_at, _) in enumerate(self._configs):
            if self.clock.now >= changed_at + self.propagation_seconds:
                deployed = index
        return [headers for _, headers in self._configs[deployed:]]

    def forward(self, path: str, headers: Mapping[str, str]) -> Answer:
        parts = urlsplit(self.origin_base_url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
        try:
            connection.request("GET", path, headers=dict(headers))
            response = connection.getresponse()
            response.read()
            return Answer(response.status, response.getheader(CAUSE_HEADER) or "")
        finally:
            connection.close()


@dataclass(frozen=True)
class Playback:
    """One viewer's look at the channel: MediaTailor's request for the source manifest (made to
    assemble the channel's manifest) and the viewer's segment requests, one per set of origin
    custom headers an edge may be sending."""

    at: str
    manifest: Fetch
    segments: tuple[Answer, ...]

    @property
    def ok(self) -> bool:
        return self.manifest.ok and bool(self.segments) and all(a.ok for a in self.segments)

    def __str__(self) -> str:
        parts = [f"{self.at} MediaTailor's manifest request: {self.manifest}"]
        parts += [f"viewer's segment request: {answer}" for answer in self.segments]
        if not self.segments:
            parts.append("viewer's segment request: no CDN to send it through")
        return "; ".join(parts)


@dataclass
class Viewer:
    """Plays the channel: the manifest comes from channel assembly (``manifest``, MediaTailor's
    own request to the origin), the segment through ``cdn``, without any token."""

    cdn: Cdn
    manifest: Callable[[], Fetch]
    segment_path: Callable[[], str]

    def play(self) -> Playback:
        fetched = self.manifest()
        path = self.segment_path()
        segments = tuple(self.cdn.forward(path, headers) for headers in self.cdn.headers_in_flight())
        return Playback(str(self.cdn.clock), fetched, segments)


def segment_next_to(manifest_path: str) -> str:
    """The first segment a manifest at ``manifest_path`` lists (the stand-in origin's manifests
    name ``segment-00001.ts`` relative to themselves)."""
    return manifest_path.rsplit("/", 1)[0] + "/segment-00001.ts"
