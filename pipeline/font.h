// pipeline/font.h — a 5x7 bitmap font for printable ASCII, drawn by strixoverlay.
#pragma once

#include <cstdint>

namespace strix::gst {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kCellWidth = 6;   // glyph + one column of spacing
constexpr int kCellHeight = 9;  // glyph + two rows of spacing

// Row r (0 = top) of the glyph for `c` as kGlyphWidth bits, bit 4 = leftmost column.
// Characters outside 32..126 draw as '?'.
uint8_t glyph_row(char c, int r);

}  // namespace strix::gst
