# Tests of the `lock` workload (workloads/lock/), included by CMakeLists.txt here.
# lock_check runs one command and checks its csv (every documented column, one
# row, expectations on values) or, with --usage, exit status 2 and one stderr line.
# Runs are 100 ms or a fixed iteration count; --no-c2c keeps them short.

add_executable(sb_lock_check ${CMAKE_CURRENT_LIST_DIR}/lock_check.c)

# The lock kinds, read from their one list (SB_FOR_EACH_LOCK_KIND in lockpatterns.h).
file(READ ${PROJECT_SOURCE_DIR}/lockpatterns/lockpatterns.h kinds_text)
string(REGEX MATCHALL "X\\([a-z]+, SB_[A-Z]+\\)" kind_entries "${kinds_text}")
set(SB_LOCK_KINDS)
foreach(e ${kind_entries})
  string(REGEX REPLACE "X\\(([a-z]+),.*" "\\1" kind "${e}")
  list(APPEND SB_LOCK_KINDS ${kind})
endforeach()
if(NOT SB_LOCK_KINDS)
  message(FATAL_ERROR "lock.cmake: no lock kinds found in lockpatterns/lockpatterns.h")
endif()

function(sb_lock_test name)
  add_test(NAME ${name} COMMAND sb_lock_check ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS quick TIMEOUT 180)
endfunction()

# Every pattern worker x every kind: two threads, all documented columns.
foreach(p ${SB_PATTERNS})
  foreach(k ${SB_LOCK_KINDS})
    sb_lock_test(lock.columns.${p}.${k}
      threads==2 acquisitions>0 jain>0 "rmw_per_acq>0" -- $<TARGET_FILE:sheafbench-${p}>
      lock --kind ${k} --pattern ${p} --threads 2 --duration 100ms --format csv --no-c2c)
  endforeach()
endforeach()

# Exclusion: the critical section's plain increments are never lost, for every
# pattern x kind, with nolock callers and one thread more than the CPUs here.
foreach(p ${SB_PATTERNS})
  foreach(k ${SB_LOCK_KINDS})
    sb_lock_test(lock.exclusion.${p}.${k}
      cs_lost_updates==0 acquisitions>0 -- $<TARGET_FILE:sheafbench-${p}>
      lock --kind ${k} --threads 3 --cs-lines 2 --nolock-fraction 0.2 --duration 100ms
      --format csv --no-c2c)
  endforeach()
endforeach()

# One thread: never contended, never a failed trylock, at most one bounce (the
# first acquisition, if the lock's last_cpu starts elsewhere).  pthread kinds
# under lock/sb acquire inside glibc, where contention is not visible: n/a.
# Bounded by a count, not a time: under ctest -j8 on two CPUs all these runs
# are pinned to CPU 0, and a thread that got no CPU for a whole 100 ms run
# made no acquisition at all, so every figure was n/a and the test failed.
foreach(p ${SB_PATTERNS})
  foreach(k ${SB_LOCK_KINDS})
    set(contended 0)
    if(k MATCHES "^(pspin|pmutex)$" AND p MATCHES "^(lock|sb)$")
      set(contended n/a)
    endif()
    sb_lock_test(lock.single.${p}.${k}
      contended_frac==${contended} con_bounces_per_acq==${contended}
      "acq_bounces_per_acq*acquisitions<=1.01"
      rmw_per_contended_acq==n/a nolock_fail_rate==0
      -- $<TARGET_FILE:sheafbench-${p}>
      lock --kind ${k} --threads 1 --pin 0 --nolock-fraction 0.5 --iterations 20000
      --format csv --no-c2c)
  endforeach()
endforeach()

# Iteration-bounded runs count exactly: 2 threads x 5000 attempts, no nolock.
sb_lock_test(lock.iterations acquisitions==10000 nolock_fail_rate==n/a cs_lost_updates==0
  -- $<TARGET_FILE:sheafbench-sb>
  lock --kind ticket --threads 2 --iterations 5000 --cs-lines 2 --format csv --no-c2c)
sb_lock_test(lock.same_line acquisitions==4000 cs_same_line==1 cs_lost_updates==0
  -- $<TARGET_FILE:sheafbench-tro>
  lock --kind qspin --threads 2 --iterations 2000 --cs-lines 3 --cs-same-line --format csv --no-c2c)
sb_lock_test(lock.all_nolock_single acquisitions==3000 nolock_fail_rate==0
  -- $<TARGET_FILE:sheafbench-ttl>
  lock --kind tas --threads 1 --iterations 3000 --nolock-fraction 1 --format csv --no-c2c)
sb_lock_test(lock.oversubscribed acquisitions>0 threads==8
  -- $<TARGET_FILE:sheafbench-sb>
  lock --kind pmutex --threads 8 --duration 100ms --pin none --format csv --no-c2c)

# Latency: off means no wait figures (n/a, not 0); every acquisition timed fills them.
sb_lock_test(lock.latency_off wait_p50_ns==n/a wait_max_ns==n/a timing_overhead_ns==n/a
  -- $<TARGET_FILE:sheafbench-sb>
  lock --kind ttas --threads 2 --duration 100ms --latency off --format csv --no-c2c)
sb_lock_test(lock.latency_on "wait_max_ns>0" "timing_overhead_ns>=0"
  -- $<TARGET_FILE:sheafbench-sb>
  lock --kind ttas --threads 2 --duration 100ms --latency on --format csv --no-c2c)
sb_lock_test(lock.json_null "--contains=\"workload\": \"lock\"" "--contains=\"wait_p50_ns\": null"
  "--contains=\"cs_lost_updates\": null"
  -- $<TARGET_FILE:sheafbench-lock>
  lock --kind pspin --threads 2 --iterations 1000 --latency off --format json --no-c2c)
sb_lock_test(lock.table --contains=acq_per_s --contains=ns_per_acq
  -- $<TARGET_FILE:sheafbench-tro>
  lock --kind ttas --threads 2 --iterations 1000 --no-c2c)
sb_lock_test(lock.help --contains=--nolock-fraction -- $<TARGET_FILE:sheafbench-sb> lock --help)
sb_lock_test(lock.c2c acquisitions>0
  -- $<TARGET_FILE:sheafbench-sb>
  lock --kind mcs --threads 2 --duration 100ms --format csv)

# Each run records its disturbance, measured for real here (software perf
# events need no PMU): numbers, not n/a, and a busy run reads task-clock.
sb_lock_test(lock.disturbance "task_clock_ms>0" "cpu_wall_ratio>0" "steal_ms>=0"
  "invol_ctxsw>=0" "ctx_switches>=0" "cpu_migrations>=0"
  -- $<TARGET_FILE:sheafbench-sb>
  lock --kind ttas --threads 2 --iterations 100000 --format csv --no-c2c)
# -e/--events (perf's spelling): one column per event, per acquisition.
sb_lock_test(lock.events --custom-events "task_clock_per_acq>0" "cs_per_acq>=0" cycles_per_acq==n/a
  -- $<TARGET_FILE:sheafbench-tro>
  lock --kind mcs --threads 2 --iterations 20000 -e task-clock,cs --events=cycles,task-clock,cs
  --format csv --no-c2c)

# Bad input: exit status exactly 2, nothing on stdout, one line on stderr.
set(SB_LOCK_BAD_INPUTS
  "kind_unknown|--kind|spin"
  "threads_zero|--threads|0"
  "threads_too_many|--threads|1025"
  "threads_not_number|--threads|two"
  "nolock_above_one|--nolock-fraction|1.5"
  "nolock_not_number|--nolock-fraction|half"
  "duration_not_time|--duration|soon"
  "cs_ns_negative|--cs-ns|-5"
  "cs_lines_too_many|--cs-lines|100000"
  "latency_bad|--latency|sample=0"
  "pin_bad|--pin|everywhere"
  "pin_cpu_absent|--pin|0,999"
  "format_bad|--format|xml"
  "pattern_other_worker|--pattern|ttl"
  "events_unknown|--events|cycles,no-such-event"
  "events_short_unknown|-e|bogus")
foreach(bad ${SB_LOCK_BAD_INPUTS})
  string(REPLACE "|" ";" fields "${bad}")
  list(GET fields 0 tname)
  list(GET fields 1 opt)
  list(GET fields 2 val)
  sb_lock_test(lock.usage.${tname} --usage -- $<TARGET_FILE:sheafbench-sb>
    lock ${opt} ${val} --duration 100ms --no-c2c)
endforeach()
sb_lock_test(lock.usage.unknown_option --usage -- $<TARGET_FILE:sheafbench-sb> lock --frobnicate)
sb_lock_test(lock.usage.iterations_and_duration --usage -- $<TARGET_FILE:sheafbench-sb>
  lock --iterations 10 --duration 1s)
sb_lock_test(lock.usage.stray_argument --usage -- $<TARGET_FILE:sheafbench-sb> lock qspin)
