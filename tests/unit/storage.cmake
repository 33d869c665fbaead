# Unit tests of src/storage (included by tests/unit/CMakeLists.txt).
add_executable(test_repo_posix ${PROJECT_SOURCE_DIR}/tests/unit/test_repo_posix.c)
target_link_libraries(test_repo_posix PRIVATE mb_storage PkgConfig::CMOCKA)
add_test(NAME test_repo_posix COMMAND test_repo_posix)
set_tests_properties(test_repo_posix PROPERTIES LABELS unit TIMEOUT 600)
add_executable(test_s3xml ${PROJECT_SOURCE_DIR}/tests/unit/test_s3xml.c)
target_link_libraries(test_s3xml PRIVATE mb_storage PkgConfig::CMOCKA)
add_test(NAME test_s3xml COMMAND test_s3xml)
set_tests_properties(test_s3xml PROPERTIES LABELS unit TIMEOUT 600)
