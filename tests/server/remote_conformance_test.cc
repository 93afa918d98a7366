// The ledger conformance suite against a RemoteLedger talking to LedgerService in this
// process (services/ledger/testing/in_process_server.h): the remote implementation and the
// gRPC glue, without spawning processes. split_mode_test.cc runs the same suite through real
// `reserved` processes.
#include <memory>

#include "gtest/gtest.h"
#include "services/ledger/testing/in_process_server.h"
#include "storage/ledger.h"
#include "tests/ledger/ledger_conformance.h"

namespace reserve::testing {
namespace {

class InProcessHarness final : public ledger::testing::LedgerHarness {
 public:
  explicit InProcessHarness(std::unique_ptr<ledger::Ledger> ledger) : ledger_(std::move(ledger)) {}
  ledger::Ledger& ledger() override { return *ledger_; }

 private:
  std::unique_ptr<ledger::Ledger> ledger_;  // owns its server
};

std::unique_ptr<ledger::testing::LedgerHarness> MakeInProcess() {
  // Synced writes, as in production: durability is part of what the suite may observe.
  InProcessServerOptions options;
  options.sync_writes = true;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger = StartServedRemoteLedger(options);
  if (!ledger.ok()) {
    ADD_FAILURE() << "in-process server did not start: " << ledger.status();
    return nullptr;
  }
  return std::make_unique<InProcessHarness>(*std::move(ledger));
}

using ledger::testing::LedgerConformanceTest;  // the macro wants a plain name

INSTANTIATE_TEST_SUITE_P(InProcessServer, LedgerConformanceTest,
                         ::testing::Values(ledger::testing::LedgerHarnessFactory{
                             "RemoteToInProcessServer", &MakeInProcess}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace reserve::testing
