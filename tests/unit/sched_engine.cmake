# The scheduler's engine: daemon loop with an injected clock, retention, catalog.
add_executable(test_sched ${CMAKE_CURRENT_LIST_DIR}/test_sched.c)
target_link_libraries(test_sched PRIVATE mb_service PkgConfig::CMOCKA)
add_test(NAME test_sched COMMAND test_sched)
set_tests_properties(test_sched PROPERTIES LABELS unit TIMEOUT 600)
