// The CUDA backend's tuning cache file (kernels/cuda/tuning_cache.h): lookups and appends on the
// host, no GPU needed. (That Engine builds write the INT8 tile choices there is checked on the
// GPU by CudaInt8.TileChoiceGoesToTheTuningCacheFile.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "kernels/cuda/tuning_cache.h"

namespace strix::testing {
namespace {

using kernels::cuda::lookup_tuning;
using kernels::cuda::store_tuning;

// Points STRIX_CUDA_TUNING_CACHE at a fresh file for the test's lifetime.
class ScopedCacheFile {
 public:
  ScopedCacheFile() {
    char tmpl[] = "/tmp/strix_tuning_XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    path_ = tmpl;
    setenv("STRIX_CUDA_TUNING_CACHE", path_.c_str(), 1);
  }
  ~ScopedCacheFile() {
    unsetenv("STRIX_CUDA_TUNING_CACHE");
    std::remove(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CudaTuningCache, RoundTripFirstLineWinsExactKeysOnly) {
  ScopedCacheFile file;
  std::string choice;
  float ms = 0.f;
  EXPECT_FALSE(lookup_tuning("dev|conv|1,2", &choice, &ms)) << "empty file";
  store_tuning("dev|conv|1,2", "A:3", 0.25f);
  store_tuning("dev|conv|1,2", "F:0", 0.125f);  // a later measurement of the same key
  store_tuning("dev|i8mma|7", "t4", 1.5f);
  ASSERT_TRUE(lookup_tuning("dev|conv|1,2", &choice, &ms));
  EXPECT_EQ(choice, "A:3");
  EXPECT_FLOAT_EQ(ms, 0.25f);
  ASSERT_TRUE(lookup_tuning("dev|i8mma|7", &choice, &ms));
  EXPECT_EQ(choice, "t4");
  EXPECT_FLOAT_EQ(ms, 1.5f);
  EXPECT_FALSE(lookup_tuning("dev|conv|1", &choice, &ms)) << "a prefix of a key";
  EXPECT_FALSE(lookup_tuning("dev|conv|1,2,3", &choice, &ms)) << "a longer key";
  EXPECT_FALSE(lookup_tuning("", &choice, &ms));
}

TEST(CudaTuningCache, TornAndForeignLinesAreSkipped) {
  ScopedCacheFile file;
  {
    std::ofstream f(file.path());
    f << "k\n"             // no fields
      << "k\tA:1\n"        // no time
      << "k\t\t0.5\n"      // empty choice
      << "k\tA:2\tfast\n"  // not a number
      << "garbage line\n"
      << "k\tA:7\t0.75\n";  // the first well-formed line of k
  }
  std::string choice;
  float ms = 0.f;
  ASSERT_TRUE(lookup_tuning("k", &choice, &ms));
  EXPECT_EQ(choice, "A:7");
  EXPECT_FLOAT_EQ(ms, 0.75f);
}

TEST(CudaTuningCache, UnsetOrUnwritableDoesNothing) {
  unsetenv("STRIX_CUDA_TUNING_CACHE");
  store_tuning("k", "A:1", 1.f);  // no file named: nothing happens
  std::string choice;
  float ms = 0.f;
  EXPECT_FALSE(lookup_tuning("k", &choice, &ms));
  setenv("STRIX_CUDA_TUNING_CACHE", "/nonexistent-dir/strix/cache.txt", 1);
  store_tuning("k", "A:1", 1.f);  // cannot be created: ignored
  EXPECT_FALSE(lookup_tuning("k", &choice, &ms));
  unsetenv("STRIX_CUDA_TUNING_CACHE");
}

}  // namespace
}  // namespace strix::testing
