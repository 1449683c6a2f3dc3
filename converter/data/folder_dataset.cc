// The folder: data spec — DIR/<class>/*.png|*.jpg|*.jpeg (extensions in any case), or images
// directly in DIR (an unlabelled dataset, e.g. for calibration). Names starting with '.' and
// other files are skipped; class folders are not searched recursively. Items are ordered by
// class folder name, then file name (byte order); images are decoded on read().
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <new>
#include <system_error>

#include "converter/data/image_file.h"
#include "converter/data/sources.h"

namespace strix::data::internal {
namespace {

namespace fs = std::filesystem;

bool is_image_name(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "png" || ext == "jpg" || ext == "jpeg";
}

// Sorted names of the sub-directories and of the image files directly in `dir`.
Status list_dir(const std::string& dir, const std::string& what, std::vector<std::string>* dirs,
                std::vector<std::string>* images) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      if (dirs != nullptr) dirs->push_back(name);
    } else if (it->is_regular_file(type_ec) && is_image_name(name)) {
      images->push_back(name);
    }
  }
  if (ec) return Status(StatusCode::kIoError, what + ": cannot list: " + ec.message());
  if (dirs != nullptr) std::sort(dirs->begin(), dirs->end());
  std::sort(images->begin(), images->end());
  return Status::ok_status();
}

// A label as a folder name: '/' cannot appear in one, so it is matched as '_'.
std::string folder_name_of(const std::string& label) {
  std::string s = label;
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::string labels_text(const std::vector<std::string>& labels) {
  std::string s;
  for (size_t i = 0; i < labels.size() && i < 20; ++i) s += (i ? ", " : "") + labels[i];
  if (labels.size() > 20) s += ", ...";
  return s;
}

class FolderDataset : public Dataset {
 public:
  FolderDataset(std::string spec, std::string dir, Target target)
      : spec_(std::move(spec)), dir_(std::move(dir)), target_(std::move(target)) {}

  Status open() {
    const std::string what = "folder '" + dir_ + "'";
    struct stat st;
    if (::stat(dir_.c_str(), &st) != 0)
      return Status(StatusCode::kNotFound, what + ": no such directory");
    if (!S_ISDIR(st.st_mode))
      return Status(StatusCode::kInvalidArgument, what + " is not a directory");
    if (!target_.has_contract)
      return Status(StatusCode::kInvalidArgument,
                    what + ": images need the model's input contract, and " + target_.no_contract);
    std::vector<std::string> classes, top_images;
    STRIX_RETURN_IF_ERROR(list_dir(dir_, what, &classes, &top_images));
    if (!classes.empty() && !top_images.empty())
      return Status(StatusCode::kInvalidArgument,
                    what + " mixes images ('" + top_images[0] + "') and class folders ('" +
                        classes[0] + "'): use either DIR/<class>/* or DIR/* (unlabelled)");
    if (classes.empty() && top_images.empty())
      return Status(StatusCode::kInvalidArgument,
                    what + " holds no images (expected DIR/<class>/*.png|*.jpg|*.jpeg)");
    for (const std::string& name : top_images) items_.push_back({name, -1});
    for (size_t c = 0; c < classes.size(); ++c) {
      const std::string& name = classes[c];
      int label = static_cast<int>(c);
      if (!target_.labels.empty()) {
        label = -1;
        for (size_t i = 0; i < target_.labels.size() && label < 0; ++i)
          if (target_.labels[i] == name || folder_name_of(target_.labels[i]) == name)
            label = static_cast<int>(i);
        if (label < 0)
          return Status(StatusCode::kInvalidArgument, what + ": class folder '" + name +
                                                          "' is not among the model's labels (" +
                                                          labels_text(target_.labels) + ")");
      }
      std::vector<std::string> images;
      STRIX_RETURN_IF_ERROR(
          list_dir(dir_ + "/" + name, what + ": class folder '" + name + "'", nullptr, &images));
      if (images.empty())
        return Status(StatusCode::kInvalidArgument, what + ": class folder '" + name +
                                                        "' holds no images (*.png, *.jpg, *.jpeg)");
      for (const std::string& file : images) items_.push_back({name + "/" + file, label});
    }
    labelled_ = !classes.empty();
    // The fingerprint: per item in order, its relative path, a NUL byte, then its bytes.
    Sha256 hash;
    std::vector<uint8_t> bytes;
    for (const Item& item : items_) {
      STRIX_RETURN_IF_ERROR(read_whole_file(dir_ + "/" + item.path, what + ": image", &bytes));
      hash.update(item.path.c_str(), item.path.size() + 1);
      hash.update(bytes.data(), bytes.size());
    }
    fingerprint_ = hash.hex();
    return Status::ok_status();
  }

  int64_t size() const override { return static_cast<int64_t>(items_.size()); }
  bool has_labels() const override { return labelled_; }
  const std::string& spec() const override { return spec_; }
  std::string fingerprint() const override { return fingerprint_; }
  int label(int64_t index) const override {
    return index < 0 || index >= size() ? -1 : items_[static_cast<size_t>(index)].label;
  }

  Status read(int64_t index, Sample* sample) const override {
    const std::string what = "folder '" + dir_ + "'";
    if (index < 0 || index >= size())
      return Status(StatusCode::kInvalidArgument, what + ": item " + std::to_string(index) +
                                                      " is out of range (" +
                                                      std::to_string(size()) + " images)");
    try {
      const Item& item = items_[static_cast<size_t>(index)];
      std::vector<uint8_t> bytes;
      STRIX_RETURN_IF_ERROR(read_whole_file(dir_ + "/" + item.path, what + ": image", &bytes));
      DecodedImage image;
      Status s = decode_image(bytes.data(), bytes.size(), item.path, &image);
      if (!s.ok()) return Status(s.code(), what + ": " + s.message());
      STRIX_RETURN_IF_ERROR(preprocess_image(target_, image.view(),
                                             what + ": image '" + item.path + "'", &sample->input));
      sample->label = item.label;
      return Status::ok_status();
    } catch (const std::bad_alloc&) {
      return Status(StatusCode::kOutOfMemory, what + ": out of memory");
    }
  }

 private:
  struct Item {
    std::string path;  // relative to dir_
    int label;
  };
  std::string spec_, dir_;
  Target target_;
  std::vector<Item> items_;
  bool labelled_ = false;
  std::string fingerprint_;
};

}  // namespace

Result<std::unique_ptr<Dataset>> open_folder(const std::string& spec,
                                             const std::vector<std::string>& args,
                                             const Target& target) {
  std::string dir = args[0];
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  auto d = std::make_unique<FolderDataset>(spec, dir, target);
  STRIX_RETURN_IF_ERROR(d->open());
  return std::unique_ptr<Dataset>(std::move(d));
}

}  // namespace strix::data::internal
