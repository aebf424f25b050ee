"""Run every benchmark in bench/ (bench_*.py) in one go, each in its own process, and print their figures."""
import subprocess, sys, time
from pathlib import Path

here = Path(__file__).parent
failed = []
for script in sorted(here.glob("bench_*.py")):
    print(f"== {script.stem}", flush=True)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, str(script)], cwd=here.parent)
    print(f"   ({script.stem} took {time.perf_counter() - t:.1f} s, exit {r.returncode})", flush=True)
    if r.returncode: failed.append(script.stem)
if failed: sys.exit(f"benchmarks failed: {', '.join(failed)}")
