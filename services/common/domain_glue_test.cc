#include "services/common/domain_glue.h"

#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve {
namespace {

v1::Date D(int32_t y, int32_t m, int32_t d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

TEST(DomainGlueTest, DatesRoundTripAndBadOnesNameTheField) {
  absl::StatusOr<absl::CivilDay> day = FromProtoDate(D(2024, 2, 29), "as_of_date");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2024, 2, 29));
  v1::Date back;
  ToProtoDate(*day, &back);
  EXPECT_EQ(back.year(), 2024);
  EXPECT_EQ(back.month(), 2);
  EXPECT_EQ(back.day(), 29);
  for (const v1::Date& bad : {D(2023, 2, 29), D(2024, 13, 1), D(2024, 0, 1), D(1899, 12, 31),
                              D(2200, 1, 1), D(0, 0, 0)}) {
    absl::Status s = FromProtoDate(bad, "marks[2].date").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(FieldOf(s), "marks[2].date");
  }
  EXPECT_EQ(*DateOrToday(false, D(0, 0, 0), "date"), Today());
  EXPECT_EQ(FieldOf(DateOrToday(true, D(0, 0, 0), "date").status()), "date");
  EXPECT_EQ(FieldOf(RequiredDate(false, D(2024, 1, 1), "start_date").status()), "start_date");
  EXPECT_EQ(*RequiredDate(true, D(2024, 1, 1), "start_date"), absl::CivilDay(2024, 1, 1));
}

TEST(DomainGlueTest, ContextsTakeTheRequestsDateOrToday) {
  Principal alice{"alice", {"admin"}};
  absl::StatusOr<domain::Context> ctx = MakeContext(alice, "r-1", true, D(2024, 3, 1));
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ(ctx->request_id, "r-1");
  EXPECT_EQ(ctx->principal, "alice");
  EXPECT_EQ(ctx->business_date, absl::CivilDay(2024, 3, 1));
  ctx = MakeContext(alice, "r-2", false, {});
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ(ctx->business_date, Today());
  absl::Status bad = MakeContext(alice, "r-3", true, D(2024, 2, 30)).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(bad), "business_date");
}

TEST(DomainGlueTest, PageSizesAndCommitInfo) {
  EXPECT_EQ(*PageSize(0), kDefaultPageSize);
  EXPECT_EQ(*PageSize(1), 1u);
  EXPECT_EQ(*PageSize(static_cast<int32_t>(ledger::kMaxPageSize)), ledger::kMaxPageSize);
  for (int32_t bad : {-1, static_cast<int32_t>(ledger::kMaxPageSize) + 1}) {
    absl::Status s = PageSize(bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(FieldOf(s), "page_size");
  }
  v1::CommitInfo info;
  SetCommit(domain::Mutation<int>{7, 42, true}, &info);
  EXPECT_EQ(info.seq(), 42u);
  EXPECT_TRUE(info.replayed());
}

}  // namespace
}  // namespace reserve
