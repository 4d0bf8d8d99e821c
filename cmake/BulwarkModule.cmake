# bulwark_register_unit_test(TARGET LABEL)
# Registers a GoogleTest binary with CTest (labels "unit;LABEL") and adds it to bulwark_unit_tests.
# By default each test case is its own CTest test; with -DBULWARK_TEST_PER_BINARY=ON each binary
# runs as two shards of its cases (the sanitizer job: an ASan binary takes about a second to start).
# Optional FIXTURES: CTest fixtures the binary's tests need (e2e_images: the test images).
function(bulwark_register_unit_test target label)
  cmake_parse_arguments(U "" "" "FIXTURES" ${ARGN})
  add_dependencies(bulwark_unit_tests ${target})
  set(extra "")
  if(U_FIXTURES)
    list(JOIN U_FIXTURES "\\;" fixtures)
    set(extra FIXTURES_REQUIRED "${fixtures}")
  endif()
  if(BULWARK_TEST_PER_BINARY)
    # Two shards per binary (GoogleTest's GTEST_SHARD_INDEX), so one long binary keeps both cores busy.
    foreach(shard 0 1)
      add_test(NAME ${target}.${shard} COMMAND ${target} --gtest_brief=1)
      set_tests_properties(${target}.${shard} PROPERTIES LABELS "unit;${label}" TIMEOUT 1500 ${extra}
        ENVIRONMENT "GTEST_TOTAL_SHARDS=2;GTEST_SHARD_INDEX=${shard}")
    endforeach()
  else()
    gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
      PROPERTIES LABELS "unit;${label}" ${extra})
  endif()
endfunction()

# bulwark_module(NAME DEPS <targets...>)
# One static library per src/<module>: every .cpp below the folder except *_test.cpp.
# The *_test.cpp files beside them form one GoogleTest binary, <NAME>_test, registered with CTest.
function(bulwark_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS;TEST_FIXTURES" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  set(lib_sources "")
  set(test_sources "")
  foreach(f IN LISTS all_sources)
    if(f MATCHES "_test\\.cpp$")
      list(APPEND test_sources "${f}")
    else()
      list(APPEND lib_sources "${f}")
    endif()
  endforeach()
  if(NOT lib_sources)
    # A module that has only headers so far.
    add_library(bulwark_${name} INTERFACE)
    target_include_directories(bulwark_${name} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(bulwark_${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(bulwark_${name} STATIC ${lib_sources})
  target_include_directories(bulwark_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(bulwark_${name} PUBLIC ${M_DEPS})
  target_compile_definitions(bulwark_${name} PRIVATE BULWARK_VERSION="${PROJECT_VERSION}")
  if(BULWARK_TESTS AND test_sources)
    add_executable(${name}_test ${test_sources})
    target_link_libraries(${name}_test PRIVATE bulwark_${name} ${M_TEST_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
    target_compile_definitions(${name}_test PRIVATE
      BULWARK_SHARED_DIR="${BULWARK_SHARED_DIR}"
      BULWARK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      BULWARK_BINARY_DIR="${PROJECT_BINARY_DIR}")
    bulwark_register_unit_test(${name}_test ${name} FIXTURES ${M_TEST_FIXTURES})
  endif()
endfunction()
