#!/bin/sh
# nmi_run.sh SHEAFBENCH: `sheafbench run --nmi-hz 20000` on python3 (a real
# program); the kmalloc_nolock outcomes must add up (attempts = first-bucket
# successes + successful retries + NULLs) and equal the handler's calls.
set -u
sb=$1
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || { echo "SKIP: python3 is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/churn.py" <<'PY'
d = {}
for i in range(40000):
    d[str(i)] = [i] * (i % 9)
print(sum(len(v) for v in d.values()))
PY
PYTHONMALLOC=malloc "$sb" run --nmi-hz 20000 --format csv -- "$py" "$work/churn.py" > "$work/out.csv" || exit 1
awk -F, '
	/^workload,/ { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
	hdr && $1 == "run" {
		a = $col["nolock_attempts"]; f = $col["nolock_first_ok"]; r = $col["nolock_retry_ok"];
		n = $col["nolock_null"]; c = $col["nmi_calls"]; u = $col["nolock_unaccounted"];
		printf "nolock: attempts %d = first %d + retry_ok %d + null %d; handler calls %d; retries %d\n",
			a, f, r, n, c, $col["nolock_retries"];
		ok = (a > 0 && a == c && a == f + r + n && u == 0); found = 1
	}
	END { if (!found) { print "no run row"; exit 1 } exit ok ? 0 : 1 }' "$work/out.csv"
