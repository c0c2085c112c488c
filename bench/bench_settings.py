"""The product's settings with a bench-only URLconf on top (bare DRF endpoints for the framework ceiling)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
