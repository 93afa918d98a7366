// reservectl end to end: the real `reserved` (RESERVED_BINARY) on 127.0.0.1:0 and the real
// `reservectl` (RESERVECTL_BINARY) run as a subprocess, checking what a person or a script
// sees: the table, JSON and CSV output, the error line and the exit status, and the demo
// loader's counts and idempotency.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/process.h"
#include "tests/support/reservectl_runner.h"

namespace reserve {
namespace {

using ::testing::HasSubstr;
using testing::Lines;
using ::testing::StartsWith;
using Result = testing::CommandResult;

constexpr char kAdminToken[] = "admin-token-for-reservectl-tests";
constexpr char kFinanceToken[] = "finance-token-for-reservectl-tests";
constexpr char kApproverToken[] = "approver-token-for-reservectl-tests";
constexpr int kDemoLots = 50;
constexpr int kDemoSeed = 3;

class ReservectlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = testing::ScratchDir::Create("reservectl_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    ASSERT_TRUE(
        testing::WriteFile(dir_->Sub("tokens"),
                           absl::StrCat(kAdminToken, " alice admin\n", kFinanceToken,
                                        " fiona finance\n", kApproverToken, " bob approver\n"))
            .ok());
    testing::ReservedOptions options;
    options.serve_args = {absl::StrCat("--data-dir=", dir_->Sub("data")),
                          absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
    options.work_dir = dir_->path();
    options.health_token = kAdminToken;
    auto server = testing::ReservedProcess::Start(RESERVED_BINARY, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    // The demo loader on a small setting; every test below reads its data.
    Result load = Ctl({"demo", "load", "--lots", absl::StrCat(kDemoLots), "--seed",
                       absl::StrCat(kDemoSeed), "--prices", RESERVE_PINK_SHEET});
    ASSERT_EQ(load.exit_code, 0) << load.err << load.out;
  }

  static void TearDownTestSuite() {
    server_.reset();  // SIGKILL is fine: the store is scratch
    dir_.reset();
  }

  // Runs reservectl against the test server with `token` (admin unless given).
  static Result Ctl(std::vector<std::string> args, const std::string& token = kAdminToken) {
    return testing::RunReservectl(RESERVECTL_BINARY, dir_->path(), server_->address(), token, args);
  }

  // Lines of a lots CSV that are the header or demo lots (other tests add "CLI-" lots).
  static size_t DemoLotLines(const std::string& csv) {
    size_t n = 0;
    for (const std::string& line : Lines(csv)) n += absl::StartsWith(line, "CLI-") ? 0 : 1;
    return n;
  }

  static std::unique_ptr<testing::ScratchDir> dir_;
  static std::unique_ptr<testing::ReservedProcess> server_;
};

std::unique_ptr<testing::ScratchDir> ReservectlTest::dir_;
std::unique_ptr<testing::ReservedProcess> ReservectlTest::server_;

TEST_F(ReservectlTest, DemoLoaderCountsAndIsIdempotent) {
  Result lots = Ctl({"lots", "list", "--all", "--page-size", "7", "--output", "csv"});
  ASSERT_EQ(lots.exit_code, 0) << lots.err;
  EXPECT_EQ(DemoLotLines(lots.out), 1u + kDemoLots) << lots.out;
  Result depots = Ctl({"depots", "list", "-o", "csv"});
  ASSERT_EQ(depots.exit_code, 0) << depots.err;
  EXPECT_EQ(Lines(depots.out).size(), 1u + 12u);
  Result marks = Ctl({"prices", "list", "--metal", "CU", "-o", "csv"});
  ASSERT_EQ(marks.exit_code, 0) << marks.err;
  EXPECT_EQ(Lines(marks.out).size(), 1u + 759u);
  EXPECT_THAT(marks.out, HasSubstr("CU,2023-03-01,62879.80,CNY,"
                                   "\"World Bank Pink Sheet, USD->CNY at 7.10\""));

  // Again: the store has depots, so nothing is sent and the exit status is 0.
  Result again = Ctl({"demo", "load", "--lots", absl::StrCat(kDemoLots), "--seed",
                      absl::StrCat(kDemoSeed), "--prices", RESERVE_PINK_SHEET});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("already has depots"));
  // Forced: every request is re-sent under its seed-derived id and answered as a replay.
  Result forced = Ctl({"demo", "load", "--force", "--lots", absl::StrCat(kDemoLots), "--seed",
                       absl::StrCat(kDemoSeed), "--prices", RESERVE_PINK_SHEET});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  Result after = Ctl({"lots", "list", "--all", "-o", "csv"});
  EXPECT_EQ(DemoLotLines(after.out), 1u + kDemoLots);
}

TEST_F(ReservectlTest, TableJsonAndCsvOutput) {
  Result table = Ctl({"depots", "get", "SH-YS-01"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, StartsWith("field"));
  EXPECT_THAT(table.out, ::testing::ContainsRegex("\nprovince +Shanghai\n"));
  EXPECT_THAT(table.out, ::testing::ContainsRegex("\npledge_ok +yes\n"));

  Result json = Ctl({"--output", "json", "depots", "get", "SH-YS-01"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"depot_id\": \"SH-YS-01\""));
  EXPECT_THAT(json.out, HasSubstr("\"kind\": \"DEPOT_KIND_COMMERCIAL\""));

  Result csv = Ctl({"metals", "list", "-o", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(csv.out, StartsWith("code,name_en,name_zh,grades\r\n"));
  EXPECT_THAT(csv.out, HasSubstr("CU,Copper,铜,Cu-CATH-1 (GB/T 467); Cu-CATH-2 (GB/T 467)"));

  Result holdings = Ctl({"holdings", "--group-by", "class", "-o", "csv"});
  ASSERT_EQ(holdings.exit_code, 0) << holdings.err;
  EXPECT_THAT(holdings.out, StartsWith("metal,class,mass_t\r\n"));
}

TEST_F(ReservectlTest, AcquireTransferReleaseThroughTheCli) {
  // One lot, every field from flags, with a request id of its own.
  const std::vector<std::string> acquire = {"lots",
                                            "acquire",
                                            "--lot-id",
                                            "CLI-CU-1",
                                            "--metal",
                                            "cu",
                                            "--grade",
                                            "Cu-CATH-1",
                                            "--brand",
                                            "Jiangxi Copper Guixi",
                                            "--form",
                                            "cathode bundle",
                                            "--pieces",
                                            "10",
                                            "--net-mass-t",
                                            "25.125",
                                            "--depot",
                                            "HB-XG-420",
                                            "--year-produced",
                                            "2024",
                                            "--cost",
                                            "1700000.00",
                                            "--class",
                                            "central",
                                            "--owner",
                                            "NFSRA",
                                            "--date",
                                            "2025-06-01",
                                            "--request-id",
                                            "cli-acquire-1"};
  Result acquired = Ctl(acquire);
  ASSERT_EQ(acquired.exit_code, 0) << acquired.err;
  EXPECT_THAT(acquired.out, HasSubstr("CLI-CU-1"));
  EXPECT_THAT(acquired.out, HasSubstr("committed: seq "));

  Result got = Ctl({"-o", "json", "lots", "get", "CLI-CU-1"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("\"net_mass_g\": \"25125000\""));
  EXPECT_THAT(got.out, HasSubstr("\"cost_minor\": \"170000000\""));

  // Same request id and content: the original result, marked as a replay.
  Result retry = Ctl(acquire);
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("replayed: seq "));

  ASSERT_EQ(Ctl({"lots", "dispatch", "CLI-CU-1", "--to", "SH-YS-01"}).exit_code, 0);
  Result blocked = Ctl({"lots", "release", "--lot", "CLI-CU-1", "--buyer", "Buyer Co",
                        "--reference", "AUCTION-2025-01"});
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, StartsWith("error: FAILED_PRECONDITION (LOT_IN_TRANSIT): "));
  Result received = Ctl({"lots", "receive", "CLI-CU-1", "--location", "Shed 1, row 1"});
  ASSERT_EQ(received.exit_code, 0) << received.err;
  EXPECT_THAT(received.out, HasSubstr("SH-YS-01"));
  Result released = Ctl({"lots", "release", "--lot", "CLI-CU-1=5.125", "--buyer", "Buyer Co",
                         "--reference", "AUCTION-2025-01"});
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_THAT(released.out, HasSubstr("released 5.125 t"));

  Result history = Ctl({"lots", "history", "CLI-CU-1", "-o", "csv"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(Lines(history.out).size(), 1u + 4u) << history.out;
}

TEST_F(ReservectlTest, ErrorsGiveOneLineAndAnExitStatus) {
  Result unknown = Ctl({"depots", "get", "NO-SUCH-DEPOT"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, StartsWith("error: NOT_FOUND"));
  EXPECT_EQ(Lines(unknown.err).size(), 1u) << unknown.err;
  EXPECT_TRUE(unknown.out.empty());

  Result finance = Ctl({"depots", "create", "X-1", "--name", "X", "--province", "Gansu",
                        "--operator", "X", "--kind", "state"},
                       kFinanceToken);
  EXPECT_EQ(finance.exit_code, 1);
  EXPECT_THAT(finance.err, StartsWith("error: PERMISSION_DENIED"));

  Result finance_reads = Ctl({"valuation"}, kFinanceToken);
  EXPECT_EQ(finance_reads.exit_code, 0) << finance_reads.err;
  EXPECT_THAT(finance_reads.out, HasSubstr("market_value"));

  Result no_token = Ctl({"metals", "list"}, "");
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_THAT(no_token.err, StartsWith("error: UNAUTHENTICATED"));

  Result bad_field =
      Ctl({"lots",         "acquire", "--metal", "CU",        "--grade",         "Cu-CATH-1",
           "--brand",      "B",       "--form",  "F",         "--pieces",        "0",
           "--net-mass-g", "1000",    "--depot", "HB-XG-420", "--year-produced", "2020",
           "--class",      "central", "--owner", "NFSRA"});
  EXPECT_EQ(bad_field.exit_code, 1);
  EXPECT_THAT(bad_field.err, StartsWith("error: INVALID_ARGUMENT (field lots[0].pieces)"));

  Result bad_flag = Ctl({"lots", "list", "--no-such-flag"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  Result too_precise = Ctl({"lots", "acquire", "--metal", "CU", "--net-mass-t", "1.1234567"});
  EXPECT_EQ(too_precise.exit_code, 2);
  EXPECT_THAT(too_precise.err, HasSubstr("more than 6 decimals"));
  Result bad_date = Ctl({"holdings", "--as-of", "2025-02-30"});
  EXPECT_EQ(bad_date.exit_code, 2);
  Result no_command = Ctl({});
  EXPECT_EQ(no_command.exit_code, 2);
  Result help = Ctl({"lots", "release", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--buyer"));
}

TEST_F(ReservectlTest, HoldingsAsOfAPastDateAndCover) {
  Result past = Ctl({"holdings", "--as-of", "1970-01-01", "-o", "csv"});
  ASSERT_EQ(past.exit_code, 0) << past.err;
  EXPECT_EQ(Lines(past.out).size(), 1u) << past.out;  // nothing was held before the demo's lots
  Result cover = Ctl({"cover", "--metal", "CU", "--consumption-t-per-year", "12000000"});
  ASSERT_EQ(cover.exit_code, 0) << cover.err;
  EXPECT_THAT(cover.out, HasSubstr("32876.712"));  // 12 Mt / 365 d, in tonnes per day
}

}  // namespace
}  // namespace reserve
