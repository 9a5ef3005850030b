"""HTTP load on the production server: a library for `make bench-http` (`__main__.py`)
and for tests that load the server while something fails.

* `server.Server`: gunicorn as production runs it, started and stopped;
* `load.wrk_run` (peak, closed loop), `load.open_loop` (a set rate, latency from each
  operation's due time), `load.retry_unanswered` (settles earns left without an answer);
* `workloads`: the requests (earn, reads, counter page, scan + earn, the minimal earn);
* `cpu.Meter`: CPU seconds of process trees (gunicorn, PostgreSQL, Redis) from /proc;
* `fixture`: the merchant, members and tokens, and what the database says afterwards;
* `minimal`: the smallest honest earn endpoint, the floor the full earn is compared with.

This package is not named `http`: the other benchmarks put `bench/` on `sys.path`,
where a `bench/http` would hide the standard library's `http`.
"""
