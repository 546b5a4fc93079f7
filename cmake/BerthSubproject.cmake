# berth used as a subproject (add_subdirectory or FetchContent). add_generated_app() runs berth at
# configure time, before the parent's build could make it, so berth is built here, now, in its
# own build tree (once; later configures only check it is up to date). Set BERTH_EXECUTABLE to
# use a berth you already have instead.
if(NOT BERTH_EXECUTABLE OR BERTH_EXECUTABLE STREQUAL "${CMAKE_CURRENT_BINARY_DIR}/host/generator/berth")
  set(_berth_host "${CMAKE_CURRENT_BINARY_DIR}/host")
  set(_berth_make "")
  if(CMAKE_MAKE_PROGRAM)
    set(_berth_make "-DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}")
  endif()
  message(STATUS "Berth: building berth in ${_berth_host}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_SOURCE_DIR}" -B "${_berth_host}"
            -G "${CMAKE_GENERATOR}" ${_berth_make} -DCMAKE_BUILD_TYPE=Release
            -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_BENCH=OFF
    RESULT_VARIABLE _berth_rc OUTPUT_VARIABLE _berth_out ERROR_VARIABLE _berth_out)
  if(_berth_rc EQUAL 0)
    execute_process(
      COMMAND "${CMAKE_COMMAND}" --build "${_berth_host}" --target berth --parallel 2
      RESULT_VARIABLE _berth_rc OUTPUT_VARIABLE _berth_out ERROR_VARIABLE _berth_out)
  endif()
  if(NOT _berth_rc EQUAL 0)
    message(FATAL_ERROR "Berth: building berth failed:\n${_berth_out}")
  endif()
  set(BERTH_EXECUTABLE "${_berth_host}/generator/berth" CACHE FILEPATH "The berth program" FORCE)
endif()
if(NOT TARGET Berth::berth)
  add_executable(Berth::berth IMPORTED GLOBAL)
  set_target_properties(Berth::berth PROPERTIES IMPORTED_LOCATION "${BERTH_EXECUTABLE}")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/Berth.cmake")
