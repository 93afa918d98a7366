#include "services/common/log.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace reserve::log {
namespace {

TEST(LogTest, JsonLineIsOneObject) {
  SetFormat(Format::kJson);
  std::string line = FormatLine("info", "server.start", {{"port", "50051"}, {"odd", "a\"b\n"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["event"], "server.start");
  EXPECT_EQ(parsed["port"], "50051");
  EXPECT_EQ(parsed["odd"], "a\"b\n");
  EXPECT_TRUE(parsed.contains("ts"));
}

TEST(LogTest, TextLine) {
  SetFormat(Format::kText);
  std::string line = FormatLine("warn", "x.y", {{"k", "v"}});
  EXPECT_NE(line.find(" warn x.y k=v"), std::string::npos);
  SetFormat(Format::kJson);
}

}  // namespace
}  // namespace reserve::log
