#!/usr/bin/env bash
# One prepared GPU check (the device tool lends a GPU machine for minutes): the test suite with
# device="auto" resolving to the GPU, the shipped sample's accuracy table (fits of BUDGET seconds,
# default 30; its "nets" column is the ensemble size the time budget allowed), and with
# THROUGHPUT=1 the throughput of xinr's MMGN against the plain reference on CUDA.
# Logs go to $OUT (or ./gpu_out).
# Usage on the GPU machine, from the repository root:  bash bench/gpu_check.sh
set -u
OUT=${OUT:-gpu_out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}
# Packages the GPU image lacks travel as wheels in .whl (ignored by git), made here with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any -d .whl \
#     netCDF4 cftime dask distributed pooch platformdirs partd locket zict tblib tornado
# (pin the versions installed here with NAME==VERSION)
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, xarray; print('torch', torch.__version__, 'xarray', xarray.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$OUT/gpu.txt"
timeout 320 python3 -m pytest -q -p no:cacheprovider --timeout 120 tests 2>&1 | tail -30 | tee "$OUT/pytest_gpu.log"
B=${BUDGET:-30}
timeout $((6 * B + 60)) python3 bench/accuracy.py sample --methods xinr linear --budget "$B" --json "$OUT/accuracy_gpu.jsonl" 2>&1 | tee "$OUT/accuracy_gpu.log"
if [ "${THROUGHPUT:-0}" = 1 ]; then
  timeout 200 python3 bench/train_throughput.py --device cuda --reps 3 --steps 3 --json "$OUT/throughput_gpu.json" 2>&1 | tee "$OUT/throughput_gpu.log"
fi
