"""Benchmark: instructions per call, counted by callgrind (prints figures; not a pass/fail test).

CPU seconds move with whatever else the machine does (± 6 % between runs of ``compare.sh`` here);
an instruction count does not. This runs ``bench_inprocess`` under ``valgrind --tool=callgrind``
twice, with ``--small`` and ``--large`` requests per row, and prints (Ir(large) - Ir(small)) /
(large - small): the instructions one more call costs, start-up and warm-up cancelled out. Repeats
to about ± 1 %, so two builds can be compared by a change of a few percent (README "Performance"
lists each change of issue 10 this way). In process: the server side of a call (uvicorn), the same
for every build, is not in the count; kernel time (system calls) is not either. Needs Debian's
``valgrind``; each run takes a minute or two (callgrind runs Python about 50 times slower)::

    python -m tests.benchmarks.bench_instructions [--rows identify,person] [--upstream URL]
        [--small 500] [--large 2500] [-- extra bench_inprocess flags, e.g. --no-access-log]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(row: str, requests: int, upstream: str | None, extra: list[str], work: Path) -> int:
    """Instructions callgrind counted for one whole ``bench_inprocess`` run of ``requests`` calls."""
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={work / f'{row}-{requests}.out'}",
        sys.executable,
        "-m",
        "tests.benchmarks.bench_inprocess",
        "--rows",
        row,
        "--requests",
        str(requests),
        "--warmup",
        "200",
        *(["--upstream", upstream] if upstream else []),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run failed ({done.returncode}): {done.stderr[-1500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="identify,person")
    parser.add_argument(
        "--upstream", help="a real new-API stand-in (default: bench_inprocess's in-memory one)"
    )
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=2500)
    parser.add_argument("extra", nargs="*", help="more bench_inprocess flags (after --)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.large <= args.small:
        raise SystemExit("--large must be above --small")
    with tempfile.TemporaryDirectory() as tmp:
        for row in args.rows.split(","):
            small = instructions(row, args.small, args.upstream, args.extra, Path(tmp))
            large = instructions(row, args.large, args.upstream, args.extra, Path(tmp))
            per_call = (large - small) / (args.large - args.small)
            print(f"{row:9} {per_call:,.0f} instructions per call  ({args.small} and {args.large} calls)")


if __name__ == "__main__":
    main()
