#include "services/domain/checks.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve::domain {
namespace {

// INVALID_ARGUMENT naming `field`, exactly.
void ExpectInvalid(const absl::Status& s, absl::string_view field) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s), std::string(field)) << s;
}

TEST(CheckIdTest, AcceptsKeyPartsAndNamesTheFieldOtherwise) {
  EXPECT_TRUE(CheckId("CU-2024.lot_7:a", "lot_id").ok());
  EXPECT_TRUE(CheckId(std::string(kMaxIdChars, 'x'), "lot_id").ok());
  ExpectInvalid(CheckId("", "lots[2].lot_id"), "lots[2].lot_id");
  ExpectInvalid(CheckId(std::string(kMaxIdChars + 1, 'x'), "lot_id"), "lot_id");
  for (absl::string_view bad : {"a/b", "a b", "a\nb", "é", "a*b"}) {
    ExpectInvalid(CheckId(bad, "depot_id"), "depot_id");
  }
}

TEST(CheckIdTest, AServiceMayReserveTheColon) {
  EXPECT_TRUE(CheckId("icbc:1", "bank").ok());
  EXPECT_TRUE(CheckId("icbc-1", "bank", Colon::kReserved).ok());
  absl::Status s = CheckId("icbc:1", "bank", Colon::kReserved);
  ExpectInvalid(s, "bank");
  EXPECT_THAT(std::string(s.message()),
              ::testing::EndsWith("only letters, digits and . _ - are allowed"));
}

TEST(CheckTextTest, TextIsCleanUtf8WithinItsLimit) {
  EXPECT_TRUE(CheckText("铜 Copper, GB/T 467", "name", true).ok());
  EXPECT_TRUE(CheckText("", "memo", false).ok());
  ExpectInvalid(CheckText("", "name", true), "name");
  ExpectInvalid(CheckText(std::string(kMaxTextChars + 1, 'a'), "name", false), "name");
  EXPECT_TRUE(CheckText(std::string(kMaxTextChars + 1, 'a'), "rationale", false, 8192).ok());
  ExpectInvalid(CheckText(std::string(8193, 'a'), "rationale", false, 8192), "rationale");
  for (absl::string_view bad : {absl::string_view("a\nb"), absl::string_view("tab\there"),
                                absl::string_view("del\x7f"), absl::string_view("nul\0x", 5),
                                absl::string_view("\xc3\x28"), absl::string_view("\xed\xa0\x80")}) {
    absl::Status s = CheckText(bad, "brand", false);
    ExpectInvalid(s, "brand");
    EXPECT_THAT(std::string(s.message()),
                ::testing::EndsWith("must be valid UTF-8 without control characters"));
  }
}

TEST(CheckCodesTest, MetalCodesAndCurrencies) {
  for (absl::string_view ok : {"CU", "REO", "W", "A1234567"}) {
    EXPECT_TRUE(CheckMetalCode(ok, "metal").ok()) << ok;
  }
  for (absl::string_view bad : {"", "cu", "1CU", "CU-1", "ABCDEFGHI"}) {
    ExpectInvalid(CheckMetalCode(bad, "lots[0].metal"), "lots[0].metal");
  }
  EXPECT_TRUE(CheckCurrency("CNY", "currency").ok());
  for (absl::string_view bad : {"", "CN", "CNYY", "cny", "C1Y"}) {
    ExpectInvalid(CheckCurrency(bad, "currency"), "currency");
  }
}

TEST(CheckDateTest, BusinessDatesAndYears) {
  EXPECT_TRUE(CheckDate(absl::CivilDay(1900, 1, 1), "date").ok());
  EXPECT_TRUE(CheckDate(absl::CivilDay(2199, 12, 31), "date").ok());
  ExpectInvalid(CheckDate(absl::CivilDay(1899, 12, 31), "valid_from"), "valid_from");
  ExpectInvalid(CheckDate(absl::CivilDay(2200, 1, 1), "valid_to"), "valid_to");
  EXPECT_TRUE(CheckYear(1900, "year").ok());
  EXPECT_TRUE(CheckYear(2199, "year").ok());
  ExpectInvalid(CheckYear(1899, "ceiling.year"), "ceiling.year");
  ExpectInvalid(CheckYear(2200, "year"), "year");
}

TEST(CheckContextTest, RequestIdPrincipalAndDate) {
  const Context good{"req-1", "admin:alice", absl::CivilDay(2024, 1, 10)};
  EXPECT_TRUE(CheckContext(good, 10).ok());
  Context c = good;
  c.request_id = "";
  ExpectInvalid(CheckContext(c, 10), "request_id");
  c.request_id = std::string(11, 'r');
  ExpectInvalid(CheckContext(c, 10), "request_id");
  c.request_id = std::string(10, 'r');
  EXPECT_TRUE(CheckContext(c, 10).ok());
  c.request_id = "a\x01";
  ExpectInvalid(CheckContext(c, 10), "request_id");
  c = good;
  c.principal = "";
  EXPECT_EQ(CheckContext(c, 10).code(), absl::StatusCode::kUnauthenticated);
  c = good;
  c.business_date = absl::CivilDay(1899, 1, 1);
  ExpectInvalid(CheckContext(c, 10), "business_date");
}

TEST(NotFoundTest, CarriesTheReason) {
  absl::Status s = NotFound("UNKNOWN_LOT", "no lot L1");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(s), "UNKNOWN_LOT");
  EXPECT_EQ(s.message(), "no lot L1");
}

}  // namespace
}  // namespace reserve::domain
