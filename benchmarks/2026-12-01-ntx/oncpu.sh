#!/bin/bash
# usage: ntx-cycles.sh BIN LOSS BATCH -> on-CPU microseconds per loss evaluation (1 thread), from 2001 vs 1 repeats
export OPENBLAS_CORETYPE=Haswell
c() { perf stat -x, -e task-clock -- $1 bench --only loss --loss $2 --loss-batch-size $3 --samples-per-class $(($3/4)) --loss-repeats $4 --threads 1 --json 2>&1 >/dev/null | grep task-clock | cut -d, -f1; }
a=$(c $1 $2 $3 1); b=$(c $1 $2 $3 2001)
python3 -c "print('$1 $2 $3', round(($b - $a) / 2000 * 1000, 1), 'us')"
