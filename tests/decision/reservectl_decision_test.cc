// reservectl's decision and auction commands end to end, as a person would run them: real
// `reserved` processes (RESERVED_BINARY) on 127.0.0.1:0 and the real `reservectl`
// (RESERVECTL_BINARY) as a subprocess, in both deployments:
//   embedded: one `reserved serve` hosting every service over its own store;
//   split:    one process hosting the ledger, one InventoryService, one DecisionService, both
//             over the remote ledger, so an order executed by inventory and an auction
//             delivered by the decision service meet only in the ledger.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/process.h"
#include "tests/support/reservectl_runner.h"
#include "tests/support/service_env.h"

namespace reserve {
namespace {

using ::testing::HasSubstr;
using testing::Lines;
using Result = testing::CommandResult;

constexpr char kAdmin[] = "admin-token-for-decision-cli";
constexpr char kApprover[] = "approver-token-for-decision-cli";
constexpr char kFinance[] = "finance-token-for-decision-cli";
constexpr char kService[] = "service-token-for-decision-cli";

// "12345.67" (yuan) -> fen.
int64_t Fen(const std::string& yuan) {
  std::vector<std::string> parts = absl::StrSplit(yuan, '.');
  int64_t whole = 0, cents = 0;
  EXPECT_TRUE(absl::SimpleAtoi(parts[0], &whole)) << yuan;
  if (parts.size() > 1) {
    EXPECT_TRUE(absl::SimpleAtoi(parts[1], &cents)) << yuan;
  }
  return whole * 100 + cents;
}

std::string Yuan(int64_t fen) {
  return absl::StrCat(fen / 100, ".", fen % 100 < 10 ? "0" : "", fen % 100);
}

class ReservectlDecisionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto dir = testing::ScratchDir::Create("reservectl_decision_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    ASSERT_TRUE(
        testing::WriteFile(dir_->Sub("tokens"),
                           absl::StrCat(kAdmin, " alice admin\n", kApprover, " bob approver\n",
                                        kFinance, " fiona finance\n", kService, " svc service\n"))
            .ok());
    ASSERT_TRUE(testing::WriteFile(dir_->Sub("svc.token"), absl::StrCat(kService, "\n")).ok());
    const std::string tokens = absl::StrCat("--tokens-file=", dir_->Sub("tokens"));
    if (GetParam() == "embedded") {
      servers_.push_back(Start({absl::StrCat("--data-dir=", dir_->Sub("data")), tokens}));
      inventory_ = decision_ = servers_.back()->address();
      return;
    }
    servers_.push_back(
        Start({"--services=ledger", absl::StrCat("--data-dir=", dir_->Sub("data")), tokens}));
    const std::string remote = absl::StrCat("--ledger-address=", servers_[0]->address());
    const std::string hop = absl::StrCat("--ledger-token-file=", dir_->Sub("svc.token"));
    servers_.push_back(Start({"--services=inventory", remote, hop, tokens}));
    inventory_ = servers_.back()->address();
    servers_.push_back(Start({"--services=decision", remote, hop, tokens}));
    decision_ = servers_.back()->address();
  }

  std::unique_ptr<testing::ReservedProcess> Start(std::vector<std::string> args) {
    testing::ReservedOptions options;
    options.serve_args = std::move(args);
    options.work_dir = dir_->path();
    options.health_token = kAdmin;
    auto server = testing::ReservedProcess::Start(RESERVED_BINARY, options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  Result Ctl(const std::string& address, std::vector<std::string> args,
             const std::string& token = kAdmin) {
    return testing::RunReservectl(RESERVECTL_BINARY, dir_->path(), address, token, args);
  }
  Result Inv(std::vector<std::string> args, const std::string& token = kAdmin) {
    return Ctl(inventory_, std::move(args), token);
  }
  Result Dec(std::vector<std::string> args, const std::string& token = kAdmin) {
    return Ctl(decision_, std::move(args), token);
  }

  std::unique_ptr<testing::ScratchDir> dir_;
  std::vector<std::unique_ptr<testing::ReservedProcess>> servers_;
  std::string inventory_, decision_;
};

TEST_P(ReservectlDecisionTest, PlanApproveExecuteAuctionAndBacktest) {
  for (const auto& s : servers_) ASSERT_NE(s, nullptr);
  Result load =
      Inv({"demo", "load", "--lots", "30", "--seed", "5", "--prices", RESERVE_PINK_SHEET});
  ASSERT_EQ(load.exit_code, 0) << load.err << load.out;

  // Plan: market data, a target, the year's ceilings and budget.
  ASSERT_TRUE(testing::WriteFile(dir_->Sub("market.csv"),
                                 "series,metal,date,value,source\n"
                                 "consumption,CU,2022-01-01,12000000,CNIA\n"
                                 "consumption,AL,2022-01-01,40000000,CNIA\n"
                                 "capacity_utilisation,AL,2023-02-01,7900,CNIA\n")
                  .ok());
  Result r = Dec({"market", "import", "--file", dir_->Sub("market.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"targets", "set", "CU", "--min-days", "15", "--target-days", "30", "--max-days", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"ceilings", "set", "CU", "--year", "2023", "--acquire-t", "100000", "--dispose-t",
           "100000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"budget", "set", "--year", "2023", "--amount", "50000000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"recommend", "--date", "2023-03-15", "--metal", "CU"}, kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CU"));
  EXPECT_THAT(r.out, HasSubstr("COVER_BELOW_MIN"));

  // A purchase proposal; the proposer cannot approve, an approver can.
  r = Dec({"proposals", "create", "--id", "P-CLI", "--title", "Buy copper cathode", "--from",
           "2023-01-01", "--to", "2023-12-31", "--line", "acquire:CU:100:80000:8000000", "--date",
           "2023-01-05"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pending"));
  r = Dec({"proposals", "approve", "P-CLI"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  r = Dec({"proposals", "approve", "P-CLI", "--comment", "within plan", "--date", "2023-01-06"},
          kApprover);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("P-CLI-1"));

  // Inventory executes the order; more than it allows is refused.
  std::vector<std::string> lot = {
      "lots",    "acquire",   "--metal",         "CU",      "--grade",  "Cu-CATH-1",
      "--brand", "Guixi",     "--form",          "cathode", "--pieces", "10",
      "--depot", "HB-XG-420", "--year-produced", "2023",    "--class",  "central",
      "--owner", "NFSRA",     "--order-id",      "P-CLI-1", "--date",   "2023-03-01"};
  std::vector<std::string> first = lot;
  first.insert(first.end(), {"--lot-id", "CLI-CU-1", "--net-mass-t", "60", "--cost", "4200000"});
  r = Inv(first);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> second = lot;
  second.insert(second.end(), {"--lot-id", "CLI-CU-2", "--net-mass-t", "50", "--cost", "3500000"});
  r = Inv(second);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("ORDER_QUANTITY_EXCEEDED"));
  r = Dec({"orders", "get", "P-CLI-1", "-o", "json"}, kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"remaining_quantity_g\": \"40000000\""));
  r = Dec({"budget", "get", "--year", "2023"}, kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("4200000.00"));  // spent

  // A backtest over the Pink Sheet, written to CSV and SVG.
  r = Dec(
      {"backtest", "--metal", "CU", "--metal", "AL", "--consumption", "CU=12000000",
       "--consumption", "AL=40000000", "--annual-budget", "20000000000", "--target", "CU=15:30:60",
       "--target", "AL=15:30:60", "--csv", dir_->Sub("bt.csv"), "--svg", dir_->Sub("bt.svg")},
      kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("759 months"));
  EXPECT_EQ(Lines(testing::ReadFile(dir_->Sub("bt.csv")).value_or("")).size(), 1u + 2 * 759);
  EXPECT_THAT(testing::ReadFile(dir_->Sub("bt.svg")).value_or(""), HasSubstr("<svg"));

  // A release order and an auction of two demo copper lots.
  r = Dec({"proposals", "create", "--id", "P-REL", "--title", "Release copper", "--from",
           "2023-01-01", "--to", "2023-12-31", "--line", "release:CU:2000:5000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"proposals", "approve", "P-REL", "--date", "2023-05-01"}, kApprover);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Inv({"lots", "list", "--metal", "CU", "--status", "in_stock", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> ids;
  for (const std::string& line : Lines(r.out)) {
    std::string id = line.substr(0, line.find(','));
    if (id != "lot_id" && !absl::StartsWith(id, "CLI-") && ids.size() < 2) ids.push_back(id);
  }
  ASSERT_EQ(ids.size(), 2u) << r.out;
  r = Dec({"auctions",  "create",
           "--id",      "AUC-CLI",
           "--title",   "Copper release",
           "--order",   "P-REL-1",
           "--lot",     ids[0] + "=60000",
           "--lot",     ids[1] + "=60000",
           "--cutoff",  "2020-01-01",
           "--deposit", "10000",
           "--cap-t",   "10000",
           "--opens",   "now",
           "--closes",  "+8s",
           "--date",    "2023-06-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto created = absl::Now();
  r = Inv({"lots", "release", "--lot", ids[0], "--buyer", "x", "--reference", "y", "--date",
           "2023-06-02"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("LOT_EARMARKED"));
  r = Dec({"auctions", "register", "AUC-CLI", "--bidder", "b1", "--company", "Jiangxi Copper",
           "--group", "jcc", "--registered-on", "2010-01-01", "--deposit", "10000",
           "--accept-no-resale"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"auctions", "register", "AUC-CLI", "--bidder", "b2", "--company", "A Trader", "--group",
           "trader", "--registered-on", "2010-01-01", "--deposit", "10000", "--accept-no-resale",
           "--not-manufacturer"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_MANUFACTURER"));
  r = Dec(
      {"auctions", "bid", "AUC-CLI", "--bidder", "b1", "--lot", ids[0], "--price-per-t", "61000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"auctions", "clear", "AUC-CLI"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("BIDDING_STILL_OPEN"));
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(created + absl::Seconds(9) - absl::Now()));
  r = Dec({"auctions", "clear", "AUC-CLI"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("unsold: ", ids[1])));
  r = Dec({"auctions", "result", "AUC-CLI", "-o", "csv"}, kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> rows = Lines(r.out);
  ASSERT_GE(rows.size(), 2u) << r.out;
  std::vector<std::string> award = absl::StrSplit(rows[1], ',');
  ASSERT_EQ(award.size(), 6u) << rows[1];
  EXPECT_EQ(award[0], ids[0]);
  int64_t due = Fen(award[4]);
  r = Dec({"auctions", "deliver", "AUC-CLI", "--bidder", "b1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_PAID"));
  r = Dec({"auctions", "pay", "AUC-CLI", "--bidder", "b1", "--amount", Yuan(due - 1'000'000)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Dec({"auctions", "deliver", "AUC-CLI", "--bidder", "b1", "--date", "2023-06-20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("released"));
  r = Inv({"lots", "get", ids[0], "-o", "json"}, kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("LOT_STATUS_RELEASED"));
  EXPECT_THAT(r.out, HasSubstr("Jiangxi Copper"));
  r = Inv({"lots", "get", ids[1], "-o", "json"}, kFinance);
  EXPECT_THAT(r.out, HasSubstr("LOT_STATUS_IN_STOCK"));
  r = Dec({"auctions", "verify", "AUC-CLI"}, kFinance);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("yes"));
  // Finance cannot write.
  r = Dec({"budget", "set", "--year", "2023", "--amount", "1"}, kFinance);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  // A usage error sends nothing.
  r = Dec({"proposals", "create", "--title", "x", "--from", "2023-01-01", "--to", "2023-12-31",
           "--line", "buy:CU:1"});
  EXPECT_EQ(r.exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Deployments, ReservectlDecisionTest, testing::kDeployments,
                         testing::DeploymentName);

}  // namespace
}  // namespace reserve
