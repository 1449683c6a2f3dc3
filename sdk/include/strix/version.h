// strix/version.h — library and file-format versions.
//
//   if (model.schema_version() > strix::kSchemaVersion) ...  // the loader already refuses it
#pragma once

#include <cstdint>

namespace strix {

// The .strix schema revision this library reads and writes (see sdk/schema/strix.fbs).
constexpr uint32_t kSchemaVersion = 1;

// "0.1.0"
const char* version_string();

}  // namespace strix
