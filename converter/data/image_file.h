// converter/data/image_file.h — PNG and JPEG files decoded to 8-bit gray or RGB pixels, for
// the `folder:` data spec (libpng and libjpeg from Debian).
//
//   std::vector<uint8_t> bytes = ...;                 // the whole file
//   data::DecodedImage im;
//   STRIX_RETURN_IF_ERROR(data::decode_image(bytes.data(), bytes.size(), "cat/1.png", &im));
//   vision::Image frame = im.view();                  // kGray8 or kRGB, borrows im.pixels
//
// Every PNG colour type and depth becomes 8 bits per channel through libpng's transforms:
// palette -> RGB, gray below 8 bits -> 8, 16 bits -> 8 (scaled, v * 255 / 65535 rounded), and
// alpha (an alpha channel or a tRNS chunk) is dropped, as vision::Preprocessor ignores alpha.
// Gray (+alpha) PNGs stay gray; JPEGs decode to gray (one component) or RGB (YCbCr, RGB,
// CMYK and YCCK, the last two converted here, Adobe's inverted storage honoured).
// The format is chosen by the file's signature, not its name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "strix/status.h"
#include "strix/vision.h"

namespace strix::data {

struct DecodedImage {
  int width = 0;
  int height = 0;
  int channels = 0;             // 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;  // height rows of width * channels bytes, no padding

  // A borrowed view for vision::Preprocessor: kGray8 or kRGB, tightly packed.
  vision::Image view() const;
};

// Decodes a PNG or JPEG held in `bytes`. Errors (kInvalidArgument) name `name` and say what
// is wrong: not a PNG or JPEG, truncated, or the library's own message.
Status decode_image(const uint8_t* bytes, size_t size, const std::string& name,
                    DecodedImage* image);

}  // namespace strix::data
