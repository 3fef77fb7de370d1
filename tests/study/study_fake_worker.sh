#!/bin/sh
# A stand-in for `sheafbench` in the study runner's tests (test hook
# SHEAFBENCH_STUDY_TEST_EXE): prints one csv row the way a worker does, so that
# ordering, failure logging and kill/resume are checked without timing noise.
wl=$1
shift
case $wl in lock|slab) ;; *) echo "sheafbench: '$wl' is not a command" >&2; exit 2 ;; esac
for a in "$@"; do
	[ "$a" = --help ] && { echo "usage: fake $wl --kind K --threads N --duration D --format F --no-c2c -e|--events LIST"; exit 0; }
done
sub=
[ "$wl" = slab ] && { sub=$1; shift; }
kind=none threads=1 pattern=sb events=
while [ $# -gt 0 ]; do
	case $1 in
	--kind) kind=$2; shift ;;
	--threads) threads=$2; shift ;;
	--pattern) pattern=$2; shift ;;
	-e|--events) events=$2; shift ;;
	esac
	shift
done
[ "$kind" = fail ] && { echo "fake failure of kind=fail" >&2; exit 3; }
sleep "${FAKE_WORKER_SLEEP:-0.05}"
# -e LIST: one more column per event, as the workers' perf_<event>_per_op
ecols= evals=
for e in $(echo "$events" | tr , ' '); do
	ecols="$ecols,perf_$(echo "$e" | tr - _)_per_op" evals="$evals,1"
done
if [ "$wl" = lock ]; then
	# sb 10 % faster than the others, every run alike (study --until's test)
	acq=1000
	[ "$pattern" = sb ] && acq=1100
	echo "workload,pattern,kind,threads,acq_per_s$ecols"
	echo "lock,$pattern,$kind,$threads,$acq$evals"
else
	echo "workload,pattern,threads,ops_per_s,nolock_failures$ecols"
	echo "$sub,sb,$threads,2000,n/a$evals"
fi
