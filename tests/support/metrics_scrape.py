"""Read a metrics endpoint back, for the tests and the benchmarks.

Samples are keyed by ``name{label="value",...}`` with labels sorted, e.g.
``awsip_providers{ready="True"}``; :func:`sample_key` builds such keys.
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def sample_key(metric: str, /, **labels: str) -> str:
    """``sample_key("awsip_providers", ready="True")`` -> ``'awsip_providers{ready="True"}'``."""
    if not labels:
        return metric
    escaped = {k: v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for k, v in labels.items()}
    return metric + "{" + ",".join(f'{k}="{escaped[k]}"' for k in sorted(escaped)) + "}"


def parse_exposition(text: str) -> dict[str, float]:
    """Every sample of a Prometheus text exposition, keyed by :func:`sample_key`."""
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample_key(sample.name, **sample.labels)] = float(sample.value)
    return samples


def fetch(port: int, host: str = "127.0.0.1", *, timeout: float = 5.0) -> str:
    """The raw text of ``http://host:port/metrics``."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=timeout) as response:
        body: bytes = response.read()
    return body.decode("utf-8")


def scrape(port: int, host: str = "127.0.0.1", *, timeout: float = 5.0) -> dict[str, float]:
    """Scrape ``http://host:port/metrics`` and parse it (see :func:`parse_exposition`)."""
    return parse_exposition(fetch(port, host, timeout=timeout))
