# Dump engine tests; included from tests/unit/CMakeLists.txt.
add_executable(test_batch ${PROJECT_SOURCE_DIR}/tests/unit/test_batch.c)
target_link_libraries(test_batch PRIVATE mb_dump PkgConfig::CMOCKA)
add_test(NAME test_batch COMMAND test_batch)
set_tests_properties(test_batch PROPERTIES LABELS unit TIMEOUT 600)

# The dump planner's pure decisions (selection, enumeration, order, splitting, metadata).
add_executable(test_dump_plan ${PROJECT_SOURCE_DIR}/tests/unit/test_dump_plan.c)
target_link_libraries(test_dump_plan PRIVATE mb_dump PkgConfig::CMOCKA)
add_test(NAME test_dump_plan COMMAND test_dump_plan)
set_tests_properties(test_dump_plan PROPERTIES LABELS unit TIMEOUT 600)
