"""Benchmark: the log scrubber over 1 MB of adversarial text (prints figures; not a pass/fail test).

``tests/proxy/observe/test_redact_speed.py`` bounds the same numbers generously. Two lines per text:
the patterns over the whole megabyte (``scrub_unbounded``: linear, no truncation) and what a log
value costs (``scrub_text``: cut to ``MAX_SCRUB_CHARS`` first). Usage::

    python -m tests.benchmarks.bench_redact [--size 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from proxy.observe.redact import scrub_text, scrub_unbounded
from tests.proxy.observe.adversarial import MB, adversarial_texts


def best_ms(fn: Callable[[str], str], text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=MB)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'text':<14} {'patterns, whole text':>22} {'scrub_text (cut first)':>24}")
    for name, text in adversarial_texts(args.size).items():
        whole = best_ms(scrub_unbounded, text, args.repeat)
        cut = best_ms(scrub_text, text, args.repeat)
        print(f"{name:<14} {whole:>19.1f} ms {cut:>21.2f} ms")


if __name__ == "__main__":
    main()
