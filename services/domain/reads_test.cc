#include "services/domain/reads.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "services/domain/test_ledger.h"
#include "storage/errors.h"

namespace reserve::domain {
namespace {

class ReadsTest : public testing::LedgerTest {
 protected:
  // Records "r/0000" .. "r/<n-1>" with value "<i>", written in transactions of at most 1,000.
  void WriteRecords(size_t n) {
    for (size_t start = 0; start < n; start += 1000) {
      std::vector<ledger::RecordWrite> writes;
      for (size_t i = start; i < std::min(n, start + 1000); ++i) {
        writes.push_back({Key(i), 0, absl::StrCat(i), false});
      }
      Write(absl::StrCat("w-", start), std::move(writes));
    }
  }
  static std::string Key(size_t i) { return absl::StrFormat("r/%04d", i); }

  static absl::StatusOr<int> DecodeInt(absl::string_view text) {
    int v = 0;
    if (!absl::SimpleAtoi(text, &v)) return absl::DataLossError("not a number");
    return v;
  }
};

TEST_F(ReadsTest, ReadRecordsReadsAnyNumberInOrderAtOneSequenceNumber) {
  WriteRecords(2500);
  std::vector<std::string> keys;
  for (size_t i = 2500; i-- > 0;) keys.push_back(Key(i));
  keys.push_back("r/absent");
  absl::StatusOr<ledger::RecordSet> set = ReadRecords(*ledger_, keys);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->records.size(), 2501u);
  EXPECT_EQ(set->records[0].value, "2499");
  EXPECT_EQ(set->records[2499].value, "0");
  EXPECT_EQ(set->records[2500].version, 0u);
  EXPECT_EQ(set->as_of_seq, 3u);

  // Pinned to an earlier sequence number, records written later are absent.
  set = ReadRecords(*ledger_, {Key(0), Key(2400)}, {.at_seq = 1});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_NE(set->records[0].version, 0u);
  EXPECT_EQ(set->records[1].version, 0u);
}

TEST_F(ReadsTest, LoadDecodesOrNamesTheReason) {
  WriteRecords(1);
  absl::StatusOr<Loaded<int>> v = Load<int>(*ledger_, Key(0), "UNKNOWN_R", "no r 0", &DecodeInt);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->value, 0);
  EXPECT_EQ(v->version, 1u);
  v = Load<int>(*ledger_, "r/x", "UNKNOWN_R", "no r x", &DecodeInt);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(v.status()), "UNKNOWN_R");
  EXPECT_EQ(v.status().message(), "no r x");
  Write("bad", {{"r/bad", 0, "x", false}});
  v = Load<int>(*ledger_, "r/bad", "UNKNOWN_R", "no r bad", &DecodeInt);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(ReadsTest, ScanAllStopsAtItsLimit) {
  WriteRecords(1500);
  absl::StatusOr<ledger::RecordPage> all = ScanAll(*ledger_, "r/", 1500);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->records.size(), 1500u);
  EXPECT_EQ(all->as_of_seq, 2u);
  EXPECT_EQ(ScanAll(*ledger_, "r/", 1499).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ReadsTest, BalancesNowAndAsOfADate) {
  ledger::Transaction tx;
  tx.request_id = "fund";
  tx.kind = "test.fund";
  tx.principal = "test";
  tx.business_date = absl::CivilDay(2024, 1, 10);
  tx.open_accounts = {{"treasury/CNY", "CNY", false}, {"budget/CNY", "CNY", true}};
  tx.postings = {{"treasury/CNY", -70}, {"budget/CNY", 70}};
  ASSERT_TRUE(ledger_->Commit(tx).ok());
  absl::StatusOr<std::map<std::string, int64_t>> b =
      ReadBalances(*ledger_, {"budget/CNY", "budget/USD"});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)["budget/CNY"], 70);
  EXPECT_EQ((*b)["budget/USD"], 0);
  b = ReadBalances(*ledger_, {"budget/CNY"}, absl::CivilDay(2024, 1, 9));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)["budget/CNY"], 0);

  std::vector<ledger::Balance> out;
  ledger::ReadOptions options;
  ASSERT_TRUE(ScanAllBalances(*ledger_, "budget/", 10, options, out).ok());
  ASSERT_TRUE(ScanAllBalances(*ledger_, "treasury/", 10, options, out).ok());
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(options.at_seq, 1u);
  out.clear();
  EXPECT_EQ(ScanAllBalances(*ledger_, "", 1, options, out).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ReadsTest, FilteredPagesTakeWhatTheFilterKeepsAndResume) {
  WriteRecords(30);
  std::vector<int> taken;
  auto even = [&](const ledger::Record& r) -> absl::StatusOr<bool> {
    absl::StatusOr<int> v = DecodeInt(r.value);
    if (!v.ok()) return v.status();
    if (*v % 2 != 0) return false;
    taken.push_back(*v);
    return true;
  };
  absl::StatusOr<std::string> token = FilteredPage(*ledger_, "r/", 10, "", even);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(taken.size(), 10u);
  EXPECT_EQ(taken.back(), 18);
  ASSERT_FALSE(token->empty());
  token = FilteredPage(*ledger_, "r/", 10, *token, even);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(taken.size(), 15u);
  EXPECT_EQ(taken.back(), 28);
  EXPECT_TRUE(token->empty());

  // A filter's error stops the scan.
  Write("bad", {{"r/zzz", 0, "x", false}});
  taken.clear();
  EXPECT_EQ(FilteredPage(*ledger_, "r/", 100, "", even).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(ReadsTest, PagesRefuseBadSizesAndTokensNamingTheField) {
  WriteRecords(3);
  auto all = [](const ledger::Record&) -> absl::StatusOr<bool> { return true; };
  for (size_t bad : {size_t{0}, ledger::kMaxPageSize + 1}) {
    absl::Status s = FilteredPage(*ledger_, "r/", bad, "", all).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(FieldOf(s), "page_size");
    s = ScanPage(*ledger_, "r/", bad, "").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(FieldOf(s), "page_size");
  }
  absl::Status s = FilteredPage(*ledger_, "r/", 2, "not-a-token", all).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(s), "page_token");
  s = ScanPage(*ledger_, "r/", 2, "zz").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(s), "page_token");
  absl::StatusOr<ledger::RecordPage> page = ScanPage(*ledger_, "r/", 2, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records.size(), 2u);
  page = ScanPage(*ledger_, "r/", 2, page->next_page_token);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records.size(), 1u);
}

}  // namespace
}  // namespace reserve::domain
