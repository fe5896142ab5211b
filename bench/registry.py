"""Benchmark: load and validate a registry of about 50 MB (the default size limit).

    .venv/bin/python bench/registry.py [--mb 50] [--csv]

Writes a registry shaped like config/accounts.example.yaml (one principal, a website
and an approval per account) until it reaches the size, then times `load_registry`
(or `read_csv` with --csv, the same accounts as a spreadsheet) and prints the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.csv_import import read_csv
from monitor.inputs import MB
from monitor.registry import load_registry

DOMAINS = ["cmsd82.ca"]
YAML_ACCOUNT = """  - id: school-{i}-fb
    platform: facebook
    platform_id: "{pid}"
    school: Hillcrest Elementary {i}
    kind: school
    audience: public
    managers: [r.gill{i}@cmsd82.ca]
    principals:
      - name: Ann Lee
        user_id: "2{pid}"
        email: a.lee@cmsd82.ca
    website: https://hillcrest{i}.cmsd82.ca
    approval: "Form 193-1 #2024-{i}"
"""
CSV_HEADER = "id,platform,platform_id,school,managers,principal_name,principal_email,website\n"
CSV_ROW = "school-{i}-fb,facebook,{pid},Hillcrest Elementary {i},r.gill{i}@cmsd82.ca,Ann Lee,a.lee@cmsd82.ca,https://hillcrest{i}.cmsd82.ca\n"


def write_file(path: Path, size: int, *, csv: bool) -> int:
    """Accounts until the file is just under `size` bytes; returns how many."""
    template, written, count = (CSV_ROW, len(CSV_HEADER), 0) if csv else (YAML_ACCOUNT, 10, 0)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(CSV_HEADER if csv else "accounts:\n")
        while True:
            text = template.format(i=count, pid=100000000000000 + count)
            if written + len(text) > size:
                return count
            fh.write(text)
            written += len(text)
            count += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--csv", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("accounts.csv" if args.csv else "accounts.yaml")
        count = write_file(path, args.mb * MB, csv=args.csv)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        if args.csv:
            accounts = read_csv(path, DOMAINS, max_bytes=args.mb * MB)
        else:
            accounts = load_registry(path, DOMAINS, max_bytes=args.mb * MB)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert len(accounts) == count
        kind = "CSV" if args.csv else "YAML registry"
        print(
            f"{kind} of {path.stat().st_size / MB:.1f} MB, {count:,} accounts: "
            f"loaded and validated in {seconds:.1f} s ({count / seconds:,.0f} accounts/s); "
            f"peak RSS {peak:.0f} MB (was {before:.0f} MB before loading)"
        )


if __name__ == "__main__":
    main()
