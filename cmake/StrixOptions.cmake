# Shared compile settings and the configure summary.
set(STRIX_WARNINGS -Wall -Wextra -Wno-unused-parameter)

# Runtime code (sdk/, kernels/): built without exceptions.
function(strix_runtime_target target)
  target_compile_options(${target} PRIVATE ${STRIX_WARNINGS} -fno-exceptions)
endfunction()

# Records one line of the configure summary.
function(strix_feature name state)
  set_property(GLOBAL APPEND PROPERTY STRIX_SUMMARY "  ${name}: ${state}")
endfunction()

function(strix_print_summary)
  get_property(lines GLOBAL PROPERTY STRIX_SUMMARY)
  string(REPLACE ";" "\n" text "${lines}")
  message(STATUS "Strix ${PROJECT_VERSION} (${CMAKE_BUILD_TYPE})\n${text}")
endfunction()

# Turns off option `opt` with one clear message when `found` is false. The option is
# remembered as switched off automatically, so a later configure (after the dependency was
# installed) tries again: see strix_retry_auto_off().
macro(strix_require opt found what)
  if(${opt} AND NOT ${found})
    message(STATUS "${opt} is OFF: ${what}")
    set(${opt} OFF CACHE BOOL "" FORCE)
    set(STRIX_AUTO_OFF_${opt} ON CACHE INTERNAL "")
  endif()
endmacro()

# Turns back on the options that strix_require() switched off in an earlier configure.
function(strix_retry_auto_off)
  foreach(opt ${ARGN})
    if(STRIX_AUTO_OFF_${opt})
      set(${opt} ON CACHE BOOL "" FORCE)
      unset(STRIX_AUTO_OFF_${opt} CACHE)
    endif()
  endforeach()
endfunction()
