"""Reads `harness leaderboard` exports the way a pipeline would (ExportTests): Python's json and
csv modules, then pandas (Debian's python3-pandas). Prints one JSON line of what it found; fails
(exit 1, with the reason) on anything a pipeline would trip over.

    read_exports.py --json board.json --jsonl board.jsonl --csv board.csv --trials trials.csv
"""
import argparse
import csv
import json
import sys


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    for name in ("--json", "--jsonl", "--csv", "--trials"):
        p.add_argument(name, required=True)
    a = p.parse_args()
    found = {}

    with open(a.json) as f:
        document = json.load(f)  # one document, whatever the database holds
    comparisons = document["comparisons"]
    found["comparisons"] = len(comparisons)
    found["ids"] = sorted(c["id"] for c in comparisons)
    found["rows"] = sum(len(c["rows"]) for c in comparisons)
    for c in comparisons:
        for row in c["rows"]:
            if not isinstance(row["accuracy_mean"], float):
                fail(f"accuracy_mean is {row['accuracy_mean']!r}, not a number")
            if not isinstance(row["chosen"], list) or not isinstance(row["seeds"], list):
                fail("chosen and seeds are lists")
            if any(key != key.lower() for key in row):
                fail(f"a key not in snake_case: {sorted(row)}")
        if not isinstance(c["setting"]["training"]["lr"], float):
            fail("the setting's hyperparameters are values, not text")
    found["trial_cells"] = sum(len(c["trials"]) for c in comparisons)
    parameters = comparisons[0]["trials"][0]["parameters"]
    if not isinstance(parameters, dict):
        fail(f"a trial's parameters are {parameters!r}, not an object")

    with open(a.jsonl) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    found["jsonl_rows"] = len(lines)
    found["jsonl_ids"] = sorted({line["comparison_id"] for line in lines})

    with open(a.csv, newline="") as f:
        records = list(csv.DictReader(f))
    found["csv_rows"] = len(records)
    found["csv_ids"] = sorted({r["comparison_id"] for r in records})
    if any(r["strategy"] == "strategy" for r in records):
        fail("the CSV repeats its header")
    [float(r["accuracy_mean"]) for r in records]

    with open(a.trials, newline="") as f:
        found["trials_rows"] = len(list(csv.DictReader(f)))

    import pandas
    frame = pandas.read_csv(a.csv)
    if str(frame["accuracy_mean"].dtype) != "float64":
        fail(f"pandas reads accuracy_mean as {frame['accuracy_mean'].dtype}")
    found["pandas_groups"] = int(frame.groupby("comparison_id")["accuracy_mean"].mean().shape[0])
    found["pandas_jsonl_rows"] = int(pandas.read_json(a.jsonl, lines=True).shape[0])
    long = pandas.read_csv(a.trials)
    found["pandas_trials_mean_by_seed"] = int(long.groupby(["comparison_id", "strategy", "seed"])["test_accuracy"].mean().shape[0])
    print(json.dumps(found))


if __name__ == "__main__":
    main()
