#!/bin/bash
# Submits the 'ablation' job array and its report job; prints both job ids.
# Run it again after a failure: only the missing runs are computed.
set -euo pipefail
ARRAY=$(sbatch --parsable /shared/you/results/ablation/slurm/ablation-array.sbatch)
ARRAY=${ARRAY%%;*}   # --parsable prints "id" or "id;cluster"
REPORT=$(sbatch --parsable --dependency=afterany:$ARRAY /shared/you/results/ablation/slurm/ablation-report.sbatch)
echo "array job $ARRAY (16 task(s)), report job ${REPORT%%;*}"
