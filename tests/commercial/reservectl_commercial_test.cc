// reservectl's commercial-reserve and bank commands end to end: the real `reserved` on
// 127.0.0.1:0 and the real `reservectl` as a subprocess, as an administrator, two banks, an
// enterprise and finance would use them: what they see, the error line, the exit status.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

constexpr char kAdmin[] = "admin-token-for-ctl-commercial";
constexpr char kIcbc[] = "icbc-token-for-ctl-commercial";
constexpr char kBoc[] = "boc-token-for-ctl-commercial";
constexpr char kEnterprise[] = "jinchuan-token-for-ctl-commercial";
constexpr char kFinance[] = "finance-token-for-ctl-commercial";

class ReservectlCommercialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::ScratchDir::Create("reservectl_commercial_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    ASSERT_TRUE(testing::WriteFile(
                    dir_->Sub("tokens"),
                    absl::StrCat(kAdmin, " alice admin\n", kIcbc, " icbc-officer bank:icbc\n", kBoc,
                                 " boc-officer bank:boc\n", kEnterprise,
                                 " jc-clerk enterprise:jinchuan\n", kFinance, " fiona finance\n"))
                    .ok());
    testing::ReservedOptions options;
    options.serve_args = {absl::StrCat("--data-dir=", dir_->Sub("data")),
                          absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
    options.work_dir = dir_->path();
    options.health_token = kAdmin;
    auto server = testing::ReservedProcess::Start(RESERVED_BINARY, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  Result Ctl(std::vector<std::string> args, const std::string& token = kAdmin) {
    return testing::RunReservectl(RESERVECTL_BINARY, dir_->path(), server_->address(), token, args);
  }

  // Runs and requires exit 0.
  Result Ok(std::vector<std::string> args, const std::string& token = kAdmin) {
    Result r = Ctl(args, token);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r.err << r.out;
    return r;
  }

  // The value of `field` in a vertical (field value) table.
  static std::string Field(const std::string& out, const std::string& field) {
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::StartsWith(line, field + " ")) {
        return std::string(absl::StripAsciiWhitespace(line.substr(field.size())));
      }
    }
    return "";
  }

  std::unique_ptr<testing::ScratchDir> dir_;
  std::unique_ptr<testing::ReservedProcess> server_;
};

TEST_F(ReservectlCommercialTest, APilotFromEnrolmentToCallUp) {
  Ok({"depots", "create", "LZ-01", "--name", "Lanzhou bonded warehouse", "--province", "Gansu",
      "--operator", "Gansu Logistics", "--kind", "commercial", "--pledge-approved", "--capacity",
      "CU=50000"});
  Ok({"enterprises", "enrol", "jinchuan", "--name", "Jinchuan Group", "--province", "Gansu",
      "--metal", "CU", "--depot", "LZ-01", "--date", "2025-01-02"});
  Ok({"agreements",
      "create",
      "GS-2025-CU-01",
      "--enterprise",
      "jinchuan",
      "--metal",
      "CU",
      "--committed-t",
      "400",
      "--start",
      "2025-01-01",
      "--end",
      "2025-12-31",
      "--depot",
      "LZ-01",
      "--storage-subsidy-per-t-day",
      "0.50",
      "--interest-subsidy-bp",
      "300",
      "--notice-days",
      "10",
      "--price-rule",
      "fixed",
      "--call-up-price-per-t",
      "68000",
      "--bank-consent",
      "--bank-paid-first",
      "--date",
      "2025-01-02"});
  for (const char* lot : {"JC-0001", "JC-0002"}) {
    Ok({"lots",     "acquire",  "--lot-id",        lot,
        "--metal",  "CU",       "--grade",         "Cu-CATH-1",
        "--brand",  "Jinchuan", "--form",          "cathode",
        "--pieces", "40",       "--net-mass-t",    "250",
        "--depot",  "LZ-01",    "--year-produced", "2024",
        "--cost",   "17000000", "--class",         "commercial",
        "--owner",  "jinchuan", "--date",          "2025-01-03"});
  }
  Ok({"prices", "add", "--metal", "CU", "--date", "2025-01-03", "--price-per-t", "70000",
      "--source", "SHFE settlement"});

  // The bank checks the metal, then pledges it (the price may need a moment to be marked).
  Result verify = Ok({"bank", "verify", "JC-0001", "NOPE", "--borrower", "jinchuan"}, kIcbc);
  EXPECT_THAT(verify.out, HasSubstr("JC-0001  free"));
  EXPECT_THAT(verify.out, HasSubstr("NOPE     unknown_lot"));
  std::vector<std::string> pledge = {
      "bank",         "pledge",           "--borrower",   "jinchuan",  "--lot",
      "JC-0001",      "--principal",      "10000000.00",  "--rate-bp", "450",
      "--maturity",   "2026-01-05",       "--max-ltv-bp", "7000",      "--margin-call-ltv-bp",
      "8500",         "--loan-reference", "ICBC-GS-001",  "--date",    "2025-01-05",
      "--request-id", "icbc-loan-1"};
  Result pledged;
  for (int attempt = 0; attempt < 200; ++attempt) {
    pledged = Ctl(pledge, kIcbc);
    if (pledged.exit_code == 0 || !absl::StrContains(pledged.err, "NO_PRICE_MARK")) break;
    usleep(50'000);
  }
  ASSERT_EQ(pledged.exit_code, 0) << pledged.err;
  const std::string pledge_id = Field(pledged.out, "pledge_id");
  EXPECT_THAT(pledge_id, StartsWith("icbc:"));
  EXPECT_EQ(Field(pledged.out, "agreement"), "GS-2025-CU-01");
  EXPECT_THAT(pledged.out, HasSubstr("LTV 57.14%; committed: seq"));
  Result again = Ok(pledge, kIcbc);
  EXPECT_THAT(again.out, HasSubstr("replayed: seq"));

  // Qingdao, on the command line: the second bank is refused, and not told by whom.
  Result second = Ctl({"bank", "pledge", "--borrower", "jinchuan", "--lot", "JC-0001",
                       "--principal", "1000.00", "--maturity", "2026-01-05", "--max-ltv-bp", "7000",
                       "--margin-call-ltv-bp", "8500", "--date", "2025-01-05"},
                      kBoc);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, StartsWith("error: FAILED_PRECONDITION (LOT_PLEDGED)"));
  EXPECT_THAT(second.err, ::testing::Not(HasSubstr("icbc")));
  Result boc_get = Ctl({"bank", "get", pledge_id}, kBoc);
  EXPECT_EQ(boc_get.exit_code, 1);
  EXPECT_THAT(boc_get.err, StartsWith("error: NOT_FOUND (UNKNOWN_PLEDGE)"));
  Result boc_verify = Ok({"bank", "verify", "JC-0001"}, kBoc);
  EXPECT_THAT(boc_verify.out, HasSubstr("JC-0001  encumbered"));
  Result release = Ctl({"lots", "release", "--lot", "JC-0001", "--buyer", "X", "--reference", "Y",
                        "--date", "2025-01-06"});
  EXPECT_EQ(release.exit_code, 1);
  EXPECT_THAT(release.err, StartsWith("error: FAILED_PRECONDITION (LOT_PLEDGED)"));

  // Exposure, a price drop, the margin call in the bank's events.
  Result exposure = Ok({"bank", "exposure"}, kIcbc);
  EXPECT_THAT(exposure.out, HasSubstr("57.14%"));
  Ok({"prices", "add", "--metal", "CU", "--date", "2025-01-06", "--price-per-t", "45000",
      "--source", "SHFE settlement"});
  Result events;
  for (int attempt = 0; attempt < 200; ++attempt) {
    events = Ok({"bank", "events"}, kIcbc);
    if (absl::StrContains(events.out, "margin_call")) break;
    usleep(50'000);
  }
  EXPECT_THAT(events.out, HasSubstr("created      " + pledge_id));
  EXPECT_THAT(events.out, HasSubstr("margin_call  " + pledge_id + "  ltv 88.89%"));
  // Resuming after the first event shows only the margin call.
  std::string first_cursor = Lines(events.out)[1].substr(0, Lines(events.out)[1].find(' '));
  Result rest = Ok({"bank", "events", "--after", first_cursor}, kIcbc);
  EXPECT_EQ(Lines(rest.out).size(), 2u) << rest.out;
  EXPECT_THAT(rest.out, HasSubstr("margin_call"));
  // A stock count of the pledged lot changes the bank's collateral in the count's own
  // transaction: 200 kg short (within tolerance), then found again.
  Ok({"counts", "record", "JC-0001", "--counted-mass-t", "249.8", "--reason", "monthly count",
      "--date", "2025-01-06", "--request-id", "cnt-jc1-a"});
  Ok({"counts", "record", "JC-0001", "--counted-mass-t", "250", "--reason", "found",
      "--date", "2025-01-06", "--request-id", "cnt-jc1-b"});
  Result counted = Ok({"bank", "events", "--after", first_cursor}, kIcbc);
  ASSERT_EQ(Lines(counted.out).size(), 4u) << counted.out;
  EXPECT_THAT(Lines(counted.out)[2], HasSubstr("collateral_counted  " + pledge_id +
                                               "  ltv 88.96%  collateral 249800000 g"));
  EXPECT_THAT(Lines(counted.out)[3], HasSubstr("collateral_counted  " + pledge_id +
                                               "  ltv 88.89%  collateral 250000000 g"));
  Result totals = Ok({"financing", "totals"}, kFinance);
  EXPECT_THAT(totals.out, HasSubstr("CU     CNY"));
  EXPECT_THAT(totals.out, ::testing::Not(HasSubstr("icbc")));

  // Compliance and the subsidy statement, seen by the enterprise too.
  Result compliance = Ok({"compliance", "GS-2025-CU-01", "--from", "2025-01-01", "--to",
                          "2025-01-04", "--shortfall-only"},
                         kEnterprise);
  EXPECT_THAT(compliance.out, HasSubstr("2025-01-01"));
  EXPECT_THAT(compliance.out, HasSubstr("2025-01-02"));
  EXPECT_THAT(compliance.out, ::testing::Not(HasSubstr("2025-01-03")));
  EXPECT_THAT(compliance.out, HasSubstr("2 shortfall day(s) of 4"));
  Result statement = Ok({"subsidies", "issue", "--enterprise", "jinchuan", "--from", "2025-01-01",
                         "--to", "2025-01-10", "--date", "2025-01-11"});
  // Storage: Jan 3..10, 400 t (of 500 held) x 8 days x 0.50 = 1,600.00. Interest: 300 bp on
  // 10,000,000.00 for Jan 5..10 (6 days) = 4,931.51. Total 6,531.51.
  EXPECT_THAT(statement.out, HasSubstr("6531.51"));
  const std::string statement_id = Field(statement.out, "statement_id");
  EXPECT_EQ(statement_id, "jinchuan:20250101-20250110");
  Result unpaid = Ctl({"subsidies", "pay", statement_id});
  EXPECT_EQ(unpaid.exit_code, 1);
  EXPECT_THAT(unpaid.err, StartsWith("error: FAILED_PRECONDITION (BUDGET_INSUFFICIENT)"));
  Ok({"commercial-budget", "fund", "--budget", "subsidy", "--amount", "100000.00", "--memo",
      "2025 Q1 appropriation"});
  Ok({"subsidies", "pay", statement_id});
  Result budget = Ok({"commercial-budget", "get", "--budget", "subsidy"}, kFinance);
  EXPECT_THAT(budget.out, HasSubstr("93468.49"));
  Result mine = Ok({"subsidies", "list", "--enterprise", "jinchuan"}, kEnterprise);
  EXPECT_THAT(mine.out, HasSubstr("paid"));

  // A call-up: the bank consents; the pledged lot is delivered and the bank is paid first.
  Ok({"callups", "issue", "CALL-2025-01", "--agreement", "GS-2025-CU-01", "--quantity-t", "300",
      "--state-owner", "NFSRA", "--reason", "supply emergency", "--date", "2025-02-01"});
  Result no_consent =
      Ctl({"callups", "deliver", "CALL-2025-01", "--lot", "JC-0001", "--date", "2025-02-03"});
  EXPECT_EQ(no_consent.exit_code, 1);
  EXPECT_THAT(no_consent.err, StartsWith("error: FAILED_PRECONDITION (BANK_CONSENT_REQUIRED)"));
  Ok({"bank", "consent", pledge_id, "--call-up", "CALL-2025-01", "--date", "2025-02-02"}, kIcbc);
  Ok({"commercial-budget", "fund", "--budget", "call-up", "--amount", "50000000.00"});
  Result delivered = Ok({"callups", "deliver", "CALL-2025-01", "--lot", "JC-0001", "--lot",
                         "JC-0002", "--date", "2025-02-03"});
  // 250 t x 68,000 = 17,000,000.00: 10,000,000.00 to the bank, 7,000,000.00 to the enterprise.
  EXPECT_THAT(delivered.out, HasSubstr("10000000.00"));
  EXPECT_THAT(delivered.out, HasSubstr("7000000.00"));
  EXPECT_THAT(delivered.out, HasSubstr("fulfilled"));
  Result after = Ok({"bank", "events", "--after", first_cursor}, kIcbc);
  EXPECT_THAT(after.out, HasSubstr("call_up      " + pledge_id + "  call-up CALL-2025-01"));
  EXPECT_THAT(after.out, HasSubstr("released     " + pledge_id));

  // Usage errors exit 2 and send nothing.
  EXPECT_EQ(
      Ctl({"bank", "pledge", "--borrower", "jinchuan", "--lot", "JC-0001", "--principal", "1.001",
           "--maturity", "2026-01-05", "--max-ltv-bp", "1", "--margin-call-ltv-bp", "2"},
          kIcbc)
          .exit_code,
      2);
  EXPECT_EQ(Ctl({"bank", "events", "--after", "x.y"}, kIcbc).exit_code, 2);
  EXPECT_EQ(Ctl({"commercial-budget", "get", "--budget", "unspecified"}).exit_code, 2);
  Result bad_field = Ctl({"agreements", "create", "AG-X", "--enterprise", "jinchuan", "--metal",
                          "CU", "--committed-t", "0", "--start", "2025-01-01", "--end",
                          "2025-12-31", "--depot", "LZ-01", "--price-rule", "market"});
  EXPECT_EQ(bad_field.exit_code, 2) << bad_field.err;  // "give --committed-t or --committed-g"
}

}  // namespace
}  // namespace reserve
