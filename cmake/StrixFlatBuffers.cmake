# Finds FlatBuffers (headers + flatc) and generates the C++ and Python code of
# sdk/schema/strix.fbs into the build tree.
find_path(FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h REQUIRED)
find_program(FLATC_EXECUTABLE flatc REQUIRED)
if(NOT FLATBUFFERS_INCLUDE_DIR OR NOT FLATC_EXECUTABLE)
  message(FATAL_ERROR "Strix needs FlatBuffers: apt-get install libflatbuffers-dev flatbuffers-compiler")
endif()

set(STRIX_SCHEMA ${PROJECT_SOURCE_DIR}/sdk/schema/strix.fbs)
set(STRIX_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)
set(STRIX_GENERATED_HEADER ${STRIX_GENERATED_DIR}/strix_generated.h)
add_custom_command(
  OUTPUT ${STRIX_GENERATED_HEADER}
  COMMAND ${FLATC_EXECUTABLE} --cpp --scoped-enums -o ${STRIX_GENERATED_DIR} ${STRIX_SCHEMA}
  COMMAND ${FLATC_EXECUTABLE} --python -o ${STRIX_GENERATED_DIR}/python ${STRIX_SCHEMA}
  DEPENDS ${STRIX_SCHEMA}
  COMMENT "flatc: generating strix_generated.h and the Python schema module"
  VERBATIM)
add_custom_target(strix_schema_gen DEPENDS ${STRIX_GENERATED_HEADER})

add_library(strix_schema INTERFACE)
add_dependencies(strix_schema strix_schema_gen)
target_include_directories(strix_schema INTERFACE
  $<BUILD_INTERFACE:${STRIX_GENERATED_DIR}> ${FLATBUFFERS_INCLUDE_DIR})
