// sdk/src/op_options.h — which options table each op carries (internal).
#pragma once

#include "strix_generated.h"

namespace strix {

struct OptionsRule {
  fb::OpOptions type = fb::OpOptions::NONE;  // NONE: the op takes no options
  bool required = false;                     // the table must be present
};

OptionsRule options_rule(fb::OpType op);

}  // namespace strix
