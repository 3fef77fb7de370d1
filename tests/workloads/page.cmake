# The zone-lock page workload (included from CMakeLists.txt): every pattern,
# with order-0 runs only (pcp refill/drain) and mixed orders, and a nolock share.
foreach(p ${SB_PATTERNS})
  slab_test(page_pcp_${p} page $<TARGET_FILE:sheafbench-${p}> page --pattern ${p}
            --duration 200ms --threads 2 --batch 256 --format csv)
  slab_test(page_orders_nolock_${p} page $<TARGET_FILE:sheafbench-${p}> page --pattern ${p}
            --duration 200ms --threads 2 --order-max 3 --batch 64 --nolock-fraction 0.3
            --format csv)
endforeach()
