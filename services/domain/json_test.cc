#include "services/domain/json.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace reserve::domain {
namespace {

struct Sample {
  std::string name;
  absl::CivilDay day;
  std::optional<int64_t> limit;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Sample, name, day, limit)

TEST(JsonTest, DatesAreTextAndAbsentOptionalsNull) {
  Sample s{"a", absl::CivilDay(2024, 2, 29), std::nullopt};
  EXPECT_EQ(EncodeJson(s), R"({"day":"2024-02-29","limit":null,"name":"a"})");
  s.limit = 7;
  absl::StatusOr<Sample> back = DecodeJson<Sample>(EncodeJson(s), "sample");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->day, absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(back->limit, 7);
  // A key the record predates decodes as the default (absent).
  back = DecodeJson<Sample>(R"({"name":"b","day":"2024-01-01"})", "sample");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->limit, std::nullopt);
}

TEST(JsonTest, MalformedRecordsAreDataLoss) {
  for (absl::string_view bad :
       {"", "{", R"({"name":"a","day":"2024-02-30"})", R"({"name":1,"day":"2024-01-01"})"}) {
    absl::StatusOr<Sample> s = DecodeJson<Sample>(bad, "sample");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_TRUE(absl::StartsWith(s.status().message(), "malformed sample record")) << s.status();
  }
}

}  // namespace
}  // namespace reserve::domain
