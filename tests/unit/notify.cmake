# Unit tests of src/notify (included by tests/unit/CMakeLists.txt).
set(MB_NOTIFY_UNIT_TESTS test_notify_template test_notify_mime test_notify_json test_notify_config)
foreach(name ${MB_NOTIFY_UNIT_TESTS})
  add_executable(${name} ${name}.c)
  target_link_libraries(${name} PRIVATE mb_notify PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 600)
endforeach()
