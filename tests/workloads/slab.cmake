# slab workloads, slabinfo and the comparison allocators (included from
# CMakeLists.txt).  Every run is short (~0.2 s) and checked by slab_check,
# which also keeps a watchdog on it.
add_executable(slab_check ${CMAKE_CURRENT_SOURCE_DIR}/slab_check.c)

# slab_test(NAME MODE COMMAND...): a slab_check run, labelled quick.
function(slab_test name mode)
  add_test(NAME ${name} COMMAND slab_check ${mode} -- ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS quick TIMEOUT 90)
endfunction()

set(SLAB_QUICK --duration 200ms --threads 2 --format csv)

# Every workload on every pattern: all documented columns, no object lost.
foreach(p ${SB_PATTERNS})
  foreach(w churn remote larson cache-scratch)
    slab_test(slab_${w}_${p} slab $<TARGET_FILE:sheafbench-${p}> slab ${w} --pattern ${p}
              ${SLAB_QUICK} --sizes 16-512)
  endforeach()
  slab_test(slab_churn_shuffled_nosheaves_${p} slab $<TARGET_FILE:sheafbench-${p}> slab churn --pattern ${p}
            ${SLAB_QUICK} --order shuffled --batch 1000 --sheaf-capacity 0)
  slab_test(slab_churn_nolock_fraction_${p} slab $<TARGET_FILE:sheafbench-${p}> slab churn --pattern ${p}
            ${SLAB_QUICK} --nolock-fraction 0.5)
  # A 50 kHz timer signal per thread calling kmalloc_nolock/kfree_nolock
  # while the thread is inside kmalloc/kfree: must not deadlock (watchdog),
  # and every nolock attempt must end in exactly one outcome.
  slab_test(slab_nmi_${p} nmi $<TARGET_FILE:sheafbench-${p}> slab nmi --pattern ${p}
            --nmi-hz 50000 --duration 300ms --threads 2 --format csv)
  slab_test(slabinfo_${p} slabinfo $<TARGET_FILE:sheafbench-${p}> slabinfo --pattern ${p})
endforeach()

# Iteration-bounded runs end on their own (remote threads finish at
# different times and must not wait on a full ring forever).
foreach(w churn remote larson cache-scratch)
  slab_test(slab_${w}_iterations slab $<TARGET_FILE:sheafbench-sb> slab ${w} --iterations 20000
            --threads 3 --format csv)
endforeach()

# Cross-node frees on a synthetic two-node topology.
slab_test(slab_remote_two_nodes cross-node $<TARGET_FILE:sheafbench-sb> slab remote ${SLAB_QUICK} --threads 4)
set_tests_properties(slab_remote_two_nodes PROPERTIES
  ENVIRONMENT "SHEAFBENCH_TOPOLOGY=pack:2 numa:1 core:2 pu:1")
# Per-node columns sum to the whole-run ones (remote, and nmi for the nolock sites).
foreach(w remote nmi)
  slab_test(slab_${w}_per_node per-node $<TARGET_FILE:sheafbench-sb> slab ${w} ${SLAB_QUICK} --threads 4)
  set_tests_properties(slab_${w}_per_node PROPERTIES
    ENVIRONMENT "SHEAFBENCH_TOPOLOGY=pack:2 numa:1 core:2 pu:1")
endforeach()

# Bad input: one line on stderr, exit 2, nothing on stdout.
set(SLAB_BAD_ARGS
  "slab|churn|--threads|0"
  "slab|churn|--sizes|64-8"
  "slab|churn|--size|9000"
  "slab|churn|--order|random"
  "slab|churn|--allocator|hoard"
  "slab|churn|--pattern|ttl"
  "slab|churn|--frobnicate|1"
  "slab|nosuch"
  "slab|remote|--threads|1"
  "slab|remote|--batch|5000"
  "slab|nmi|--allocator|glibc"
  "slab|churn|--allocator|glibc|--nolock-fraction|0.1"
  "slab|churn|--nolock-fraction|2"
  "slab|churn|--duration|soon"
  "slabinfo|--sheaf-capacity|-1"
  "slab|churn|-e|no-such-event"
  "page|--events|cycles,,bogus"
  "page|--order-max|11"
  "page|--batch|0")
set(i 0)
foreach(args ${SLAB_BAD_ARGS})
  math(EXPR i "${i} + 1")
  string(REPLACE "|" ";" argv "${args}")
  slab_test(slab_bad_option_${i} usage $<TARGET_FILE:sheafbench-sb> ${argv})
endforeach()

# A malloc that is asked for but not preloaded: a clear message naming the
# Debian package, exit 2 (the worker checks which malloc is really active).
slab_test(slab_allocator_not_preloaded missing $<TARGET_FILE:sheafbench-sb> slab churn --allocator jemalloc)

# Comparison allocators through the front end, which sets LD_PRELOAD.
# Only those whose Debian library is installed; the others are reported.
# A sanitizer runtime must be the first library loaded and owns malloc, so
# preloading another malloc cannot work there: glibc only in those builds.
# "name|soname" of every allocator but ours, from the one list (allocator_list.h).
file(READ ${PROJECT_SOURCE_DIR}/workloads/harness/allocator_list.h alloc_text)
string(REGEX MATCHALL "X\\([a-z]+, +(NULL|\"[^\"]*\")" alloc_entries "${alloc_text}")
set(SLAB_MALLOC_LIBS)
foreach(e ${alloc_entries})
  string(REGEX REPLACE "X\\(([a-z]+), +(.*)" "\\1|\\2" entry "${e}")
  string(REPLACE "NULL" "" entry "${entry}")
  string(REPLACE "\"" "" entry "${entry}")
  if(NOT entry MATCHES "^sheaf\\|")
    list(APPEND SLAB_MALLOC_LIBS "${entry}")
  endif()
endforeach()
if(NOT SLAB_MALLOC_LIBS)
  message(FATAL_ERROR "slab.cmake: no allocators found in workloads/harness/allocator_list.h")
endif()
foreach(entry ${SLAB_MALLOC_LIBS})
  string(REPLACE "|" ";" pair "${entry}")
  list(GET pair 0 alloc)
  list(LENGTH pair n)
  set(found TRUE)
  if(n GREATER 1)
    list(GET pair 1 lib)
    if(lib)
      find_library(SLAB_LIB_${alloc} NAMES ${lib} PATHS /usr/lib/x86_64-linux-gnu /usr/lib)
      if(NOT SLAB_LIB_${alloc})
        set(found FALSE)
      endif()
    endif()
  endif()
  if(NOT found)
    message(STATUS "slab tests: ${alloc} not installed (${lib}); its comparison tests are skipped")
    continue()
  endif()
  if(SB_SANITIZE AND NOT alloc STREQUAL "glibc")
    message(STATUS "slab tests: ${alloc} skipped in the ${SB_SANITIZE} build (LD_PRELOAD of a malloc "
                   "conflicts with the sanitizer runtime)")
    continue()
  endif()
  foreach(w churn remote)
    slab_test(slab_${w}_${alloc} slab $<TARGET_FILE:sheafbench> slab ${w} --allocator ${alloc}
              ${SLAB_QUICK})
    slab_test(slab_${w}_${alloc}_lean lean $<TARGET_FILE:sheafbench> slab ${w} --allocator ${alloc}
              --lean ${SLAB_QUICK})
  endforeach()
endforeach()

# The null allocator behind harness_ns_per_op allocates nothing (adapter.c
# alone, with the libraries it calls).
add_executable(slab_null ${CMAKE_CURRENT_SOURCE_DIR}/slab_null.c
  ${PROJECT_SOURCE_DIR}/workloads/slab/adapter.c)
target_include_directories(slab_null PRIVATE ${PROJECT_SOURCE_DIR}/workloads/slab)
target_link_libraries(slab_null PRIVATE sballoc_sb sb_harness sb_coherence dl pthread)
sb_pattern_definitions(slab_null sb)
add_test(NAME slab_null COMMAND slab_null)
set_tests_properties(slab_null PROPERTIES LABELS quick TIMEOUT 60)

# --lean: no stamps, no latency; the null baseline is taken for every workload
# (none stamps, so none races on the null block); the sheaf counters still
# prove no object was lost.  Full runs take it only where objects stay on
# their thread.
foreach(w churn remote larson cache-scratch)
  slab_test(slab_${w}_lean lean $<TARGET_FILE:sheafbench-sb> slab ${w} --lean ${SLAB_QUICK}
            --sizes 16-512)
endforeach()
slab_test(slab_churn_lean_nolock lean $<TARGET_FILE:sheafbench-sb> slab churn --lean ${SLAB_QUICK}
          --nolock-fraction 0.5)
slab_test(slab_remote_lean_iterations lean $<TARGET_FILE:sheafbench-sb> slab remote --lean
          --iterations 20000 --threads 3 --format csv)
slab_test(slab_churn_baseline baseline $<TARGET_FILE:sheafbench-sb> slab churn ${SLAB_QUICK})
slab_test(slab_remote_no_baseline no-baseline $<TARGET_FILE:sheafbench-sb> slab remote ${SLAB_QUICK})
slab_test(slab_nmi_no_baseline no-baseline $<TARGET_FILE:sheafbench-sb> slab nmi --lean
          --nmi-hz 20000 ${SLAB_QUICK})
