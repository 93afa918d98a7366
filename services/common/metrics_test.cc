#include "services/common/metrics.h"

#include "gtest/gtest.h"

namespace reserve {
namespace {

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, CountsRpcsGroupsAndJournalLength) {
  absl::StatusOr<std::unique_ptr<Metrics>> metrics = Metrics::Create("off");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ((*metrics)->port(), 0);
  (*metrics)->RecordRpc("/reserve.v1.LedgerService/Commit", 0, 0.002);
  (*metrics)->RecordRpc("/reserve.v1.LedgerService/Commit", 9, 0.001);
  (*metrics)->RecordRpc("/made.up.Service/Method", 12, 0.001);
  (*metrics)->CommitObserver().on_group_written(4, 1500);
  (*metrics)->SetJournalLengthSource([] { return uint64_t{42}; });
  const std::string text = (*metrics)->Scrape();
  EXPECT_TRUE(
      Contains(text, R"(reserve_rpc_total{code="OK",method="/reserve.v1.LedgerService/Commit"} 1)"))
      << text;
  EXPECT_TRUE(Contains(
      text,
      R"(reserve_rpc_total{code="FAILED_PRECONDITION",method="/reserve.v1.LedgerService/Commit"} 1)"));
  // Unknown methods do not create label values of their own.
  EXPECT_TRUE(Contains(text, R"(reserve_rpc_total{code="UNIMPLEMENTED",method="other"} 1)"));
  EXPECT_TRUE(Contains(text, "reserve_ledger_commit_group_size_sum 4"));
  EXPECT_TRUE(Contains(text, "reserve_ledger_group_write_seconds_count 1"));
  EXPECT_TRUE(Contains(text, "reserve_ledger_journal_length 42"));
}

TEST(MetricsTest, ExposerBindsPortZero) {
  absl::StatusOr<std::unique_ptr<Metrics>> metrics = Metrics::Create("127.0.0.1:0");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GT((*metrics)->port(), 0);
}

TEST(MetricsTest, BadAddressIsUnavailable) {
  EXPECT_EQ(Metrics::Create("not an address").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace reserve
