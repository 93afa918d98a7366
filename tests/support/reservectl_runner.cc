#include "tests/support/reservectl_runner.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace reserve::testing {

CommandResult RunReservectl(const std::string& binary, const std::string& dir,
                            const std::string& address, const std::string& token,
                            const std::vector<std::string>& args) {
  static std::atomic<int> counter{0};
  const int n = ++counter;
  std::vector<std::string> argv = {binary, "--address", address};
  if (!token.empty()) {
    argv.push_back("--token");
    argv.push_back(token);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCapturing(argv, absl::StrCat(dir, "/ctl.", n, ".out"),
                      absl::StrCat(dir, "/ctl.", n, ".err"), {"RESERVE_TOKEN", "RESERVE_ADDRESS"});
}

std::vector<std::string> Lines(absl::string_view text) {
  return absl::StrSplit(text, absl::ByAnyChar("\r\n"), absl::SkipEmpty());
}

}  // namespace reserve::testing
