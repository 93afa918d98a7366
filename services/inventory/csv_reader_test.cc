#include "services/inventory/csv_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve::inventory {
namespace {

using ::testing::ElementsAre;

std::vector<CsvRow> Parse(absl::string_view text) {
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv(text, 100, "csv");
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : std::vector<CsvRow>{};
}

TEST(CsvReaderTest, PlainRowsWithLfAndCrlf) {
  EXPECT_THAT(Parse("a,b,c\n1,2,3\n"),
              ElementsAre(ElementsAre("a", "b", "c"), ElementsAre("1", "2", "3")));
  EXPECT_THAT(Parse("a,b\r\n1,2\r\n"), ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
}

TEST(CsvReaderTest, LastLineWithoutTerminator) {
  EXPECT_THAT(Parse("a,b\n1,2"), ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndNewlines) {
  EXPECT_THAT(Parse("\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\n"),
              ElementsAre(ElementsAre("x,y", "say \"hi\"", "two\nlines")));
  EXPECT_THAT(Parse("\"crlf\r\ninside\",z\r\n"), ElementsAre(ElementsAre("crlf\r\ninside", "z")));
}

TEST(CsvReaderTest, EmptyFieldsAreKept) {
  EXPECT_THAT(Parse(",,\n"), ElementsAre(ElementsAre("", "", "")));
  EXPECT_THAT(Parse("\"\",x\n"), ElementsAre(ElementsAre("", "x")));
  EXPECT_THAT(Parse("a,\n"), ElementsAre(ElementsAre("a", "")));
}

TEST(CsvReaderTest, SpacesArePartOfTheField) {
  EXPECT_THAT(Parse(" a , b \n"), ElementsAre(ElementsAre(" a ", " b ")));
}

TEST(CsvReaderTest, Utf8PassesThrough) {
  EXPECT_THAT(Parse("铜,\"稀土, 氧化物\"\n"), ElementsAre(ElementsAre("铜", "稀土, 氧化物")));
}

TEST(CsvReaderTest, EmptyInputHasNoRows) { EXPECT_TRUE(Parse("").empty()); }

TEST(CsvReaderTest, StrayQuoteInUnquotedFieldIsRejected) {
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv("a,b\"c\n", 10, "csv");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(rows.status()), "csv");
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsRejected) {
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv("\"ab\"c,d\n", 10, "csv");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CsvReaderTest, UnterminatedQuoteIsRejected) {
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv("a,\"open\n", 10, "csv");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CsvReaderTest, TooManyRowsIsResourceExhausted) {
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv("1\n2\n3\n", 2, "csv");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(ParseCsv("1\n2\n", 2, "csv").ok());
}

}  // namespace
}  // namespace reserve::inventory
