#include "storage/remote/convert.h"

#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve::ledger {
namespace {

Transaction SampleTransaction() {
  Transaction tx;
  tx.request_id = "req-1";
  tx.kind = "inventory.acquire";
  tx.principal = "admin:alice";
  tx.business_date = absl::CivilDay(2024, 2, 29);
  tx.open_accounts = {{"cu:depot-1", "g:CU", true}, {"cu:source", "g:CU", false}};
  tx.postings = {{"cu:depot-1", 1'000'000}, {"cu:source", -1'000'000}};
  tx.writes = {{"lot/1", 0, std::string("v\0x", 3), false}, {"lot/0", 7, "", true}};
  tx.checks = {{"depot/1", 3}};
  tx.memo = "first lot";
  return tx;
}

TEST(ConvertTest, TransactionRoundTrip) {
  const Transaction tx = SampleTransaction();
  v1::Transaction wire;
  ToProto(tx, &wire);
  absl::StatusOr<Transaction> back = FromProto(wire, "transaction");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, tx);
}

TEST(ConvertTest, JournalEntryRoundTrip) {
  JournalEntry entry{7, std::string(32, '\0'), std::string(32, 'h'), 1700000000000,
                     SampleTransaction()};
  v1::JournalEntry wire;
  ToProto(entry, &wire);
  absl::StatusOr<JournalEntry> back = FromProto(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->seq, 7u);
  EXPECT_EQ(back->prev_hash, entry.prev_hash);
  EXPECT_EQ(back->hash, entry.hash);
  EXPECT_EQ(back->committed_at_ms, entry.committed_at_ms);
  EXPECT_EQ(back->tx, entry.tx);
}

TEST(ConvertTest, MissingDateIsInvalid) {
  v1::Transaction wire;
  ToProto(SampleTransaction(), &wire);
  wire.clear_business_date();
  absl::StatusOr<Transaction> back = FromProto(wire, "transaction");
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(back.status()), "transaction.business_date");
}

TEST(ConvertTest, ImpossibleDatesAreInvalid) {
  struct Case {
    int year, month, day;
  };
  for (const Case& c :
       {Case{2025, 13, 1}, Case{2025, 0, 1}, Case{2025, 2, 29}, Case{2025, 4, 31}, Case{2025, 1, 0},
        Case{2025, 1, 32}, Case{0, 1, 1}, Case{-5, 1, 1}, Case{2025, 1, -1}, Case{100000, 1, 1}}) {
    v1::Date date;
    date.set_year(c.year);
    date.set_month(c.month);
    date.set_day(c.day);
    absl::StatusOr<absl::CivilDay> day = FromProto(date, "transaction.business_date");
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument)
        << c.year << "-" << c.month << "-" << c.day;
    EXPECT_EQ(FieldOf(day.status()), "transaction.business_date");
  }
  v1::Date leap;
  leap.set_year(2024);
  leap.set_month(2);
  leap.set_day(29);
  absl::StatusOr<absl::CivilDay> day = FromProto(leap, "d");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, absl::CivilDay(2024, 2, 29));
}

TEST(ConvertTest, PageFromWire) {
  EXPECT_EQ(PageFromProto(0, "")->page_size, 100u);
  EXPECT_EQ(PageFromProto(7, "t")->page_size, 7u);
  EXPECT_EQ(PageFromProto(7, "t")->page_token, "t");
  absl::StatusOr<Page> negative = PageFromProto(-1, "");
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(negative.status()), "page_size");
}

TEST(ConvertTest, SmallTypesRoundTrip) {
  Balance balance{"cu:depot-1", "g:CU", true, -5, 9, true};
  v1::Balance wire_balance;
  ToProto(balance, &wire_balance);
  Balance b = FromProto(wire_balance);
  EXPECT_EQ(b.account, balance.account);
  EXPECT_EQ(b.amount, -5);
  EXPECT_EQ(b.last_seq, 9u);
  EXPECT_TRUE(b.exists && b.non_negative);

  AccountMovement movement{3, absl::CivilDay(2020, 1, 31), 10, 20};
  v1::AccountMovement wire_movement;
  ToProto(movement, &wire_movement);
  absl::StatusOr<AccountMovement> m = FromProto(wire_movement);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->business_date, movement.business_date);
  EXPECT_EQ(m->balance_after, 20);

  VerifyReport report{false, 10, 4, 7, "hash mismatch"};
  v1::VerifyReport wire_report;
  ToProto(report, &wire_report);
  VerifyReport r = FromProto(wire_report);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 7u);
  EXPECT_EQ(r.problem, "hash mismatch");
}

}  // namespace
}  // namespace reserve::ledger
