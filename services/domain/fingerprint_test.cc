#include "services/domain/fingerprint.h"

#include "gtest/gtest.h"
#include "services/domain/mutate.h"

namespace reserve::domain {
namespace {

// Golden values, computed with the services' own functions before they moved here
// (inventory.cc's and commercial/common.cc's FNV, decision/mutation.cc's SHA-256): receipt
// records and pledge ids already on disk hold these, so they must never change.
TEST(FingerprintTest, MatchesWhatStoresAlreadyHold) {
  EXPECT_EQ(Fnv128Hex(""), "cbf29ce4842223256c62272e07bb0142");
  EXPECT_EQ(Fnv128Hex("abc"), "e71fa2190541574bebea1f437aa95c63");
  EXPECT_EQ(Fnv128MixedHex(""), "f52a15e9a9b5e89b3f2870cc35f033c1");
  EXPECT_EQ(Fnv128MixedHex("abc"), "0dd490490804b50832cdcf43ce3d2694");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  const std::string text =
      RequestText("inventory.add_metal", absl::CivilDay(2024, 1, 10), {{"code", "GA"}});
  EXPECT_EQ(text, R"({"date":"2024-01-10","kind":"inventory.add_metal","request":{"code":"GA"}})");
  EXPECT_EQ(Fnv128Hex(text), "7e4fe7e10cbcc2321830f9e730334647");
  EXPECT_EQ(Fnv128MixedHex(text), "c0e9ed26e189c96b9ac637f92f62eabc");
  EXPECT_EQ(Sha256Hex(text), "e0c7ca3a5188f185661fa171834d67fb81a7caaa4067be257b634a1e3a6a8e95");
}

}  // namespace
}  // namespace reserve::domain
