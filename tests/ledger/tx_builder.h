// Small helpers for building ledger transactions in tests.
#ifndef RESERVE_TESTS_LEDGER_TX_BUILDER_H_
#define RESERVE_TESTS_LEDGER_TX_BUILDER_H_

#include <string>
#include <utility>

#include "storage/ledger.h"

namespace reserve::ledger::testing {

// Fluent builder: TxBuilder("req-1").Open("a", "g:CU").Post("a", 5).Post("b", -5).Build().
class TxBuilder {
 public:
  explicit TxBuilder(std::string request_id) {
    tx_.request_id = std::move(request_id);
    tx_.kind = "test.kind";
    tx_.principal = "admin:test";
    tx_.business_date = absl::CivilDay(2024, 1, 15);
  }
  TxBuilder& Kind(std::string kind) {
    tx_.kind = std::move(kind);
    return *this;
  }
  TxBuilder& Date(absl::CivilDay day) {
    tx_.business_date = day;
    return *this;
  }
  TxBuilder& Open(std::string id, std::string unit, bool non_negative = false) {
    tx_.open_accounts.push_back({std::move(id), std::move(unit), non_negative});
    return *this;
  }
  TxBuilder& Post(std::string account, int64_t amount) {
    tx_.postings.push_back({std::move(account), amount});
    return *this;
  }
  TxBuilder& Write(std::string key, uint64_t expected_version, std::string value) {
    tx_.writes.push_back({std::move(key), expected_version, std::move(value), false});
    return *this;
  }
  TxBuilder& Erase(std::string key, uint64_t expected_version) {
    tx_.writes.push_back({std::move(key), expected_version, "", true});
    return *this;
  }
  TxBuilder& Check(std::string key, uint64_t expected_version) {
    tx_.checks.push_back({std::move(key), expected_version});
    return *this;
  }
  TxBuilder& Memo(std::string memo) {
    tx_.memo = std::move(memo);
    return *this;
  }
  Transaction Build() const { return tx_; }
  operator Transaction() const { return tx_; }  // NOLINT: test convenience

 private:
  Transaction tx_;
};

}  // namespace reserve::ledger::testing

#endif  // RESERVE_TESTS_LEDGER_TX_BUILDER_H_
