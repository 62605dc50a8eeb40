"""Reads back what harness logged to an MLflow tracking server, through MLflow's own client, for
MLflowTests. Run with the Python of the venv scripts/bootstrap.sh --bench makes (.build/mlflow).

    read_mlflow.py URI EXPERIMENT

prints one JSON object: the experiment's runs (id, name, parent, tags, params, metrics), the
history of train_loss of each child run, and the artifacts of each parent run.
"""
import json, sys

import mlflow
from mlflow.tracking import MlflowClient


def artifacts(client, run_id, path=None):
    out = []
    for f in client.list_artifacts(run_id, path):
        out += artifacts(client, run_id, f.path) if f.is_dir else [f.path]
    return out


def main():
    uri, experiment = sys.argv[1], sys.argv[2]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id], max_results=5000)
    out = []
    for r in runs:
        tags = dict(r.data.tags)
        entry = {"id": r.info.run_id, "name": r.info.run_name, "status": r.info.status, "parent": tags.get("mlflow.parentRunId"),
                 "tags": tags, "params": dict(r.data.params), "metrics": dict(r.data.metrics)}
        if entry["parent"]:
            entry["train_loss_steps"] = [m.step for m in client.get_metric_history(r.info.run_id, "train_loss")]
        else:
            entry["artifacts"] = artifacts(client, r.info.run_id)
        out.append(entry)
    print(json.dumps({"experiment_id": found.experiment_id, "runs": out}))


if __name__ == "__main__":
    main()
