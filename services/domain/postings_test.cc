#include "services/domain/postings.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve::domain {
namespace {

TEST(TxBuilderTest, SumsPerAccountAndOpensOnlyNonZeroOnes) {
  TxBuilder b;
  b.Move("g:CU", "external/acquired/CU", false, "stock/CU/D1", true, 500);
  b.Move("g:CU", "external/acquired/CU", false, "stock/CU/D1", true, 250);
  b.Post("capacity/CU/D1", "g:CU", true, 100);
  b.Post("capacity/CU/D1", "g:CU", true, -100);  // nets to zero: neither posted nor opened
  b.Move("CNY", "a", false, "b", true, 0);       // a zero move: nothing at all
  ledger::Transaction tx;
  ASSERT_TRUE(b.Finish(tx).ok());
  ASSERT_EQ(tx.postings.size(), 2u);
  EXPECT_EQ(tx.postings[0], (ledger::Posting{"external/acquired/CU", -750}));
  EXPECT_EQ(tx.postings[1], (ledger::Posting{"stock/CU/D1", 750}));
  ASSERT_EQ(tx.open_accounts.size(), 2u);
  EXPECT_EQ(tx.open_accounts[0], (ledger::AccountSpec{"external/acquired/CU", "g:CU", false}));
  EXPECT_EQ(tx.open_accounts[1], (ledger::AccountSpec{"stock/CU/D1", "g:CU", true}));
}

TEST(TxBuilderTest, DoesNotOpenAccountsMarkedExistingOrOpenedAlready) {
  ledger::Transaction tx;
  tx.open_accounts.push_back({"stock/CU/D1", "g:CU", true});  // another builder's
  TxBuilder b;
  b.MarkExisting("deposit/A1/bidder-1");
  b.Move("CNY", "deposit/A1/bidder-1", true, "bidders/CNY", false, 40);
  b.Move("g:CU", "stock/CU/D1", true, "released/CU", false, 10);
  ASSERT_TRUE(b.Finish(tx).ok());
  EXPECT_EQ(tx.postings.size(), 4u);
  ASSERT_EQ(tx.open_accounts.size(), 3u);
  EXPECT_EQ(tx.open_accounts[1].id, "bidders/CNY");
  EXPECT_EQ(tx.open_accounts[2].id, "released/CU");
}

TEST(TxBuilderTest, AnOverflowingSumIsRefused) {
  TxBuilder b;
  b.Post("a", "CNY", false, std::numeric_limits<int64_t>::max());
  b.Post("a", "CNY", false, 1);
  ledger::Transaction tx;
  absl::Status s = b.Finish(tx);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), reason::kOverflow);
}

TEST(TxBuilderTest, MoreAccountsThanOneTransactionMayOpenIsResourceExhausted) {
  TxBuilder b;
  for (size_t i = 0; i <= ledger::kMaxOpenAccounts; ++i) {
    b.Post(absl::StrCat("acct/", i), "CNY", false, 1);
  }
  ledger::Transaction tx;
  EXPECT_EQ(b.Finish(tx).code(), absl::StatusCode::kResourceExhausted);

  // Marked existing they need not be opened, but the postings still count.
  TxBuilder existing;
  for (size_t i = 0; i <= ledger::kMaxPostings; ++i) {
    std::string id = absl::StrCat("acct/", i);
    existing.MarkExisting(id);
    existing.Post(id, "CNY", false, 1);
  }
  ledger::Transaction tx2;
  EXPECT_EQ(existing.Finish(tx2).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(tx2.open_accounts.empty());
  EXPECT_TRUE(tx2.postings.empty());  // unchanged on error
}

}  // namespace
}  // namespace reserve::domain
