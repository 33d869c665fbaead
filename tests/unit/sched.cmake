# Schedule (cron) and .env tests; included from tests/unit/CMakeLists.txt.
add_executable(test_cron ${PROJECT_SOURCE_DIR}/tests/unit/test_cron.c)
target_link_libraries(test_cron PRIVATE mb_sched PkgConfig::CMOCKA)
add_test(NAME test_cron COMMAND test_cron)
set_tests_properties(test_cron PROPERTIES LABELS unit TIMEOUT 600)

add_executable(test_dotenv ${PROJECT_SOURCE_DIR}/tests/unit/test_dotenv.c)
target_link_libraries(test_dotenv PRIVATE mb_common PkgConfig::CMOCKA)
add_test(NAME test_dotenv COMMAND test_dotenv)
set_tests_properties(test_dotenv PROPERTIES LABELS unit TIMEOUT 600)

# Replay the saved fuzzing corpora as ordinary tests (under ASan+UBSan in the sanitizer build).
add_executable(fuzz_replay_cron ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c
                                ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_cron.c)
target_link_libraries(fuzz_replay_cron PRIVATE mb_sched)
add_test(NAME fuzz_replay_cron
         COMMAND fuzz_replay_cron ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/cron)
set_tests_properties(fuzz_replay_cron PROPERTIES LABELS unit TIMEOUT 600)

add_executable(fuzz_replay_dotenv ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c
                                  ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_dotenv.c)
target_link_libraries(fuzz_replay_dotenv PRIVATE mb_common)
add_test(NAME fuzz_replay_dotenv
         COMMAND fuzz_replay_dotenv ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/dotenv)
set_tests_properties(fuzz_replay_dotenv PROPERTIES LABELS unit TIMEOUT 600)

# Cron in named zones from two threads (common/tz).
add_executable(test_cron_zone ${PROJECT_SOURCE_DIR}/tests/unit/test_cron_zone.c)
target_link_libraries(test_cron_zone PRIVATE mb_sched PkgConfig::CMOCKA)
add_test(NAME test_cron_zone COMMAND test_cron_zone)
set_tests_properties(test_cron_zone PROPERTIES LABELS unit TIMEOUT 600)

# The oplog slices' chains, windows, --to-time plan and retention choice (sched/slices.h).
add_executable(test_slices ${PROJECT_SOURCE_DIR}/tests/unit/test_slices.c)
target_link_libraries(test_slices PRIVATE mb_sched PkgConfig::CMOCKA)
add_test(NAME test_slices COMMAND test_slices)
set_tests_properties(test_slices PROPERTIES LABELS unit TIMEOUT 600)
