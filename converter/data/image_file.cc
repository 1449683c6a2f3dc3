// PNG (libpng) and JPEG (libjpeg) decoding from memory. Both libraries report fatal errors
// through a callback that must not return; it longjmps back to the setjmp in decode_*_at().
// Those functions keep every object with a destructor, and all state that changes after
// setjmp, in the caller's frame (passed by pointer), so the jump skips no destructor and
// reads no stale register copy.
#include "converter/data/image_file.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

// clang-format off: jpeglib.h needs <cstdio> first and jerror.h after it.
#include <jerror.h>
#include <jpeglib.h>
// clang-format on
#include <png.h>

namespace strix::data {
namespace {

// Decoded images larger than this are refused (a hostile header must not exhaust memory).
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

Status decode_error(const std::string& name, const char* format, const char* detail) {
  return make_status(StatusCode::kInvalidArgument, "image '%s' cannot be decoded: %s%s",
                     name.c_str(), format, detail);
}

// ---- PNG

struct PngState {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char error[256] = "";
  std::vector<png_bytep> rows;
};

void png_read_bytes(png_structp png, png_bytep out, png_size_t n) {
  PngState* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) png_error(png, "the file is truncated");
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

void png_fail(png_structp png, png_const_charp message) {
  PngState* s = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(s->error, sizeof(s->error), "%s", message);
  png_longjmp(png, 1);
}

void png_ignore_warning(png_structp, png_const_charp) {}

// Returns false with s->error set on failure. png/info are created by the caller.
bool decode_png_at(png_structp png, png_infop info, PngState* s, DecodedImage* im) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, s, png_read_bytes);
  png_read_info(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_scale_16(png);
  if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  const int channels = png_get_channels(png, info);
  if (channels != 1 && channels != 3) png_error(png, "unexpected channel count after transforms");
  if (uint64_t{w} * h > kMaxPixels) png_error(png, "the image is too large (over 2^28 pixels)");
  if (png_get_rowbytes(png, info) != size_t{w} * channels)
    png_error(png, "unexpected row size after transforms");
  im->width = static_cast<int>(w);
  im->height = static_cast<int>(h);
  im->channels = channels;
  im->pixels.resize(size_t{w} * h * channels);
  s->rows.resize(h);
  for (uint32_t y = 0; y < h; ++y) s->rows[y] = im->pixels.data() + size_t{y} * w * channels;
  png_read_image(png, s->rows.data());
  png_read_end(png, nullptr);
  return true;
}

Status decode_png(const uint8_t* bytes, size_t size, const std::string& name, DecodedImage* image) {
  PngState s;
  s.data = bytes;
  s.size = size;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, png_fail, png_ignore_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return make_status(StatusCode::kOutOfMemory, "image '%s': cannot set up libpng", name.c_str());
  }
  const bool ok = decode_png_at(png, info, &s, image);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) return decode_error(name, "PNG: ", s.error);
  return Status::ok_status();
}

// ---- JPEG

struct JpegState {
  jpeg_decompress_struct cinfo{};  // zeroed: jpeg_destroy_decompress is safe before create
  jpeg_error_mgr err;
  jmp_buf jump;
  char error[JMSG_LENGTH_MAX] = "";
  std::vector<uint8_t> row;  // one CMYK row
};

void jpeg_fail(j_common_ptr cinfo) {
  JpegState* s = static_cast<JpegState*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, s->error);
  longjmp(s->jump, 1);
}

// Warnings are silent, except a premature end of data: a truncated file is an error.
void jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(cinfo);
}

bool decode_jpeg_at(JpegState* s, const uint8_t* bytes, size_t size, DecodedImage* im) {
  if (setjmp(s->jump)) return false;
  jpeg_decompress_struct* c = &s->cinfo;
  jpeg_create_decompress(c);  // keeps err and client_data
  jpeg_mem_src(c, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(c, TRUE);
  const bool cmyk = c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
  c->out_color_space = c->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE
                       : cmyk                               ? JCS_CMYK
                                                            : JCS_RGB;
  jpeg_start_decompress(c);
  const uint32_t w = c->output_width, h = c->output_height;
  const int in_channels = c->output_components;
  if (in_channels != (cmyk ? 4 : c->out_color_space == JCS_GRAYSCALE ? 1 : 3))
    ERREXIT(c, JERR_BAD_J_COLORSPACE);
  if (uint64_t{w} * h > kMaxPixels) ERREXIT(c, JERR_WIDTH_OVERFLOW);
  const int channels = cmyk ? 3 : in_channels;
  im->width = static_cast<int>(w);
  im->height = static_cast<int>(h);
  im->channels = channels;
  im->pixels.resize(size_t{w} * h * channels);
  s->row.resize(size_t{w} * 4);
  // Adobe writes CMYK inverted (255 = no ink); plain CMYK stores ink amounts.
  const bool inverted = c->saw_Adobe_marker;
  while (c->output_scanline < h) {
    uint8_t* out = im->pixels.data() + size_t{c->output_scanline} * w * channels;
    JSAMPROW row = cmyk ? s->row.data() : out;
    if (jpeg_read_scanlines(c, &row, 1) != 1) ERREXIT(c, JERR_INPUT_EMPTY);
    if (!cmyk) continue;
    for (uint32_t x = 0; x < w; ++x) {
      const uint8_t* p = s->row.data() + size_t{x} * 4;
      const int k = inverted ? p[3] : 255 - p[3];
      for (int i = 0; i < 3; ++i) {
        const int ink = inverted ? p[i] : 255 - p[i];
        out[size_t{x} * 3 + i] = static_cast<uint8_t>((ink * k + 127) / 255);
      }
    }
  }
  jpeg_finish_decompress(c);
  return true;
}

Status decode_jpeg(const uint8_t* bytes, size_t size, const std::string& name,
                   DecodedImage* image) {
  JpegState s;
  s.cinfo.err = jpeg_std_error(&s.err);
  s.err.error_exit = jpeg_fail;
  s.err.emit_message = jpeg_message;
  s.cinfo.client_data = &s;
  const bool ok = decode_jpeg_at(&s, bytes, size, image);
  jpeg_destroy_decompress(&s.cinfo);
  if (!ok) return decode_error(name, "JPEG: ", s.error);
  return Status::ok_status();
}

}  // namespace

vision::Image DecodedImage::view() const {
  return vision::Image::packed(
      channels == 1 ? vision::PixelFormat::kGray8 : vision::PixelFormat::kRGB, width, height,
      pixels.data());
}

Status decode_image(const uint8_t* bytes, size_t size, const std::string& name,
                    DecodedImage* image) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  *image = DecodedImage();
  if (size >= 8 && std::memcmp(bytes, kPng, 8) == 0) return decode_png(bytes, size, name, image);
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return decode_jpeg(bytes, size, name, image);
  return decode_error(name, "", "neither a PNG nor a JPEG file (unknown signature)");
}

}  // namespace strix::data
