// Runs the Ledger conformance suite against the in-process RocksLedger.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/rocks_ledger.h"
#include "tests/ledger/ledger_conformance.h"

namespace reserve::ledger::testing {
namespace {

class RocksHarness : public LedgerHarness {
 public:
  RocksHarness() {
    static std::atomic<int> counter{0};
    dir_ = absl::StrCat(::testing::TempDir(), "/rocks-conformance-", ::getpid(), "-",
                        counter.fetch_add(1));
    std::filesystem::remove_all(dir_);
    RocksLedgerOptions options;
    options.directory = dir_;
    absl::StatusOr<std::unique_ptr<RocksLedger>> ledger = RocksLedger::Open(options);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    if (ledger.ok()) ledger_ = *std::move(ledger);
  }
  ~RocksHarness() override {
    ledger_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Ledger& ledger() override { return *ledger_; }

 private:
  std::string dir_;
  std::unique_ptr<RocksLedger> ledger_;
};

INSTANTIATE_TEST_SUITE_P(
    Rocks, LedgerConformanceTest,
    ::testing::Values(LedgerHarnessFactory{
        "rocks",
        []() -> std::unique_ptr<LedgerHarness> { return std::make_unique<RocksHarness>(); }}),
    [](const ::testing::TestParamInfo<LedgerHarnessFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace reserve::ledger::testing
