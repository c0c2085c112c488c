"""The product's settings with a bench-only URLconf on top (bare DRF endpoints for the framework ceiling)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"

# wrk sends tens of thousands of requests a minute as one person: the rate limiter still counts each request (its
# Redis round trip is part of what is measured) but never refuses one.
API_RATE_LIMIT_USER = API_RATE_LIMIT_TOKEN = API_RATE_LIMIT_ANON = "1000000000/min"
