# Tests of compare, stats, csv, plot and report (the compare owner's part of
# tests/study; included by tests/study/CMakeLists.txt).
set(SB_FIXTURE_SMALL ${PROJECT_SOURCE_DIR}/tests/fixtures/results-small)

# The compare side of lib sb_study, built on its own so these tests do not
# depend on the study runner's files (another owner's, edited in parallel).
set(SB_COMPARE_SOURCES util.c csv.c json.c rundir.c meta.c columns.c group.c summary.c
  stats.c compare.c plot.c report.c)
list(TRANSFORM SB_COMPARE_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/scripts/study/)
add_library(sb_compare_only STATIC ${SB_COMPARE_SOURCES})
target_include_directories(sb_compare_only PUBLIC ${PROJECT_SOURCE_DIR}/scripts/study)
target_link_libraries(sb_compare_only PUBLIC sb_harness m)
target_compile_definitions(sb_compare_only PRIVATE SB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

add_executable(compare_stats ${CMAKE_CURRENT_SOURCE_DIR}/compare_stats.c)
target_link_libraries(compare_stats PRIVATE sb_compare_only)
add_test(NAME compare_stats COMMAND compare_stats)

# The commands as the front end runs them, without needing the whole binary.
add_executable(compare_cli ${CMAKE_CURRENT_SOURCE_DIR}/compare_cli.c)
target_link_libraries(compare_cli PRIVATE sb_compare_only)

foreach(t compare_fixture compare_bad plot_fixture)
  add_test(NAME ${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${t}.sh
           $<TARGET_FILE:compare_cli> ${SB_FIXTURE_SMALL})
endforeach()
set_tests_properties(compare_stats compare_fixture compare_bad plot_fixture
  PROPERTIES LABELS quick TIMEOUT 60
  ENVIRONMENT "SHEAFBENCH_PLOTS_DIR=${PROJECT_SOURCE_DIR}/plots")
