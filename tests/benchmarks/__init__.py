"""The benchmarks: ``manage.py bench``, ``bench_import``, ``bench_report`` and ``bench_submit``.

Dev tooling, not product: this app lives under ``tests/`` (never in the wheel) and needs the
test extra (httpx for the load generator, factory_boy for the fixtures). ``cms.settings.dev``
and ``cms.settings.test`` install it when it is there; base and production settings never do.
"""
