# bulwark_module(NAME DEPS <targets...>)
# One static library per src/<module>: every .cpp below the folder except *_test.cpp.
# The *_test.cpp files beside them form one GoogleTest binary, <NAME>_test, registered with CTest.
function(bulwark_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS" ${ARGN})
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
    gtest_discover_tests(${name}_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
      PROPERTIES LABELS "unit;${name}")
  endif()
endfunction()
