// The full ledger conformance suite in split mode, through real processes:
//
//   test --RemoteLedger--> process 2: reserved serve --services=ledger --ledger-address=P1
//                          (no store; its LedgerService runs over a RemoteLedger)
//        --RemoteLedger--> process 1: reserved serve --services=ledger --data-dir=D
//        --> RocksDB
//
// Every harness is a fresh pair of processes on a fresh data directory, so each test starts
// from an empty ledger. Both processes are stopped with SIGTERM and must exit 0.
#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/ledger.h"
#include "tests/ledger/ledger_conformance.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"

namespace reserve::testing {
namespace {

class SplitModeHarness final : public ledger::testing::LedgerHarness {
 public:
  static absl::StatusOr<std::unique_ptr<SplitModeHarness>> Create() {
    absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create("split_mode_test");
    if (!dir.ok()) {
      return dir.status();
    }
    std::unique_ptr<SplitModeHarness> harness =
        absl::WrapUnique(new SplitModeHarness(*std::move(dir)));
    if (absl::Status s = harness->Start(); !s.ok()) {
      return s;
    }
    return harness;
  }

  ~SplitModeHarness() override {
    ledger_.reset();
    // Front first (it holds a channel to the store), then the store.
    for (std::unique_ptr<ReservedProcess>* process : {&front_, &store_}) {
      if (*process == nullptr) {
        continue;
      }
      absl::StatusOr<ExitInfo> exit = (*process)->Stop(SIGTERM);
      EXPECT_TRUE(exit.ok()) << exit.status();
      if (exit.ok()) {
        EXPECT_EQ(exit->exit_code, 0) << exit->ToString() << "\n" << (*process)->StderrTail();
      }
    }
    // The front process never opened a store.
    EXPECT_FALSE(std::filesystem::exists(dir_->Sub("front-data")));
  }

  ledger::Ledger& ledger() override { return *ledger_; }

 private:
  explicit SplitModeHarness(std::unique_ptr<ScratchDir> dir) : dir_(std::move(dir)) {}

  absl::Status Start() {
    const std::string tokens = dir_->Sub("tokens");
    const std::string hop_token = dir_->Sub("hop.token");
    if (absl::Status s = WriteTokensFile(tokens); !s.ok()) {
      return s;
    }
    if (absl::Status s = WriteFile(hop_token, absl::StrCat(kAllLedgerToken, "\n")); !s.ok()) {
      return s;
    }
    ReservedOptions store;
    store.work_dir = dir_->path();
    store.serve_args = {"--services=ledger", absl::StrCat("--data-dir=", dir_->Sub("data")),
                        absl::StrCat("--tokens-file=", tokens)};
    absl::StatusOr<std::unique_ptr<ReservedProcess>> store_process =
        ReservedProcess::Start(RESERVED_BINARY, store);
    if (!store_process.ok()) {
      return store_process.status();
    }
    store_ = *std::move(store_process);

    ReservedOptions front;
    front.work_dir = dir_->path();
    front.serve_args = {"--services=ledger", absl::StrCat("--ledger-address=", store_->address()),
                        absl::StrCat("--ledger-token-file=", hop_token),
                        // Must stay unused: split mode opens no store.
                        absl::StrCat("--data-dir=", dir_->Sub("front-data")),
                        absl::StrCat("--tokens-file=", tokens)};
    absl::StatusOr<std::unique_ptr<ReservedProcess>> front_process =
        ReservedProcess::Start(RESERVED_BINARY, front);
    if (!front_process.ok()) {
      return front_process.status();
    }
    front_ = *std::move(front_process);

    absl::StatusOr<std::unique_ptr<ledger::Ledger>> remote =
        ConnectLedger(front_->address(), kAllLedgerToken);
    if (!remote.ok()) {
      return remote.status();
    }
    ledger_ = *std::move(remote);
    return absl::OkStatus();
  }

  const std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ReservedProcess> store_;
  std::unique_ptr<ReservedProcess> front_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

std::unique_ptr<ledger::testing::LedgerHarness> MakeSplitMode() {
  absl::StatusOr<std::unique_ptr<SplitModeHarness>> harness = SplitModeHarness::Create();
  if (!harness.ok()) {
    ADD_FAILURE() << "split-mode processes did not start: " << harness.status();
    return nullptr;
  }
  return *std::move(harness);
}

using ledger::testing::LedgerConformanceTest;  // the macro wants a plain name

INSTANTIATE_TEST_SUITE_P(SplitMode, LedgerConformanceTest,
                         ::testing::Values(ledger::testing::LedgerHarnessFactory{
                             "SplitModeTwoProcesses", &MakeSplitMode}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace reserve::testing
