// The Ledger conformance suite: one set of tests every Ledger implementation must pass
// (storage/ledger.h is the contract). An implementation instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Rocks, LedgerConformanceTest,
//                            testing::Values(LedgerHarnessFactory{"rocks", [] { ... }}),
//                            [](const auto& info) { return info.param.name; });
//
// Each test calls the factory once and gets a fresh, empty ledger. The suite is built as an
// OBJECT library (reserve_ledger_conformance) so its TEST_Ps are linked into every test
// binary that instantiates it.
#ifndef RESERVE_TESTS_LEDGER_LEDGER_CONFORMANCE_H_
#define RESERVE_TESTS_LEDGER_LEDGER_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "storage/ledger.h"

namespace reserve::ledger::testing {

// Owns one ledger under test (and whatever it needs: a temp dir, a server, a channel).
class LedgerHarness {
 public:
  virtual ~LedgerHarness();
  virtual reserve::ledger::Ledger& ledger() = 0;
};

struct LedgerHarnessFactory {
  std::string name;  // a valid test-name suffix: letters, digits, underscores
  std::function<std::unique_ptr<LedgerHarness>()> make;
};

// Test names and failure messages show the factory's name, not its bytes.
inline void PrintTo(const LedgerHarnessFactory& factory, std::ostream* os) { *os << factory.name; }

class LedgerConformanceTest : public ::testing::TestWithParam<LedgerHarnessFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  Ledger& ledger() { return harness_->ledger(); }

  std::unique_ptr<LedgerHarness> harness_;
};

}  // namespace reserve::ledger::testing

#endif  // RESERVE_TESTS_LEDGER_LEDGER_CONFORMANCE_H_
