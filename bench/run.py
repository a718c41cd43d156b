"""Run every benchmark in bench/ (files bench_*.py with a main()) and print their figures.

`make bench` calls this; `make bench ARGS=sla` runs only the benchmarks whose name contains
"sla". SOLIDGROUND_BENCH_SCALE (default 1.0) scales the sizes down for a quick look.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = argv[1:] or [""]
    for path in sorted(HERE.glob("bench_*.py")):
        if not any(word in path.stem for word in wanted):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        # Registered before it runs: a dataclass in it looks its module up by name.
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        print(f"\n=== {path.stem} ===", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"({path.stem} took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
