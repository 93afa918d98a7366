#include "clients/reservectl/csv.h"

#include <gtest/gtest.h>

namespace reserve::ctl {
namespace {

TEST(CsvTest, ReadsQuotedFieldsAndCrlf) {
  auto rows = ParseCsv("a,b\r\n1,\"x, \"\"y\"\"\"\r\n\r\n2,\"multi\nline\"\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].at("a"), "1");
  EXPECT_EQ((*rows)[0].at("b"), "x, \"y\"");
  EXPECT_EQ((*rows)[1].at("b"), "multi\nline");
}

TEST(CsvTest, LastLineWithoutNewline) {
  auto rows = ParseCsv("a\n1");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].at("a"), "1");
}

TEST(CsvTest, RejectsMalformedInput) {
  EXPECT_EQ(ParseCsv("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCsv("a,b\n1\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCsv("a,a\n1,2\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCsv("a\n\"open\n").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reserve::ctl
