// Benchmark of the decision engine (services/decision/engine), one process, no server.
//
//   decision_bench [--runs=5] [--only=auction|optimizer|backtest]
//                  [--prices=ops/demo/metal-prices-monthly.csv] [--seed=1]
//       auction:   ClearAuction on 200 lots, 2,000 bidders, 20,000 bids (random, seeded)
//       optimizer: Optimize on 20 metals x 50 depots with a binding budget (seeded)
//       backtest:  RunBacktest on the Pink Sheet, 759 months x 9 metals (the reference
//                  consumption assumption); the CSV load is timed separately
//   Each case runs --runs times; prints every run's wall time and the median.
//   Build with -DCMAKE_BUILD_TYPE=Release; run from the repository root (for --prices).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "services/decision/engine/auction.h"
#include "services/decision/engine/backtest.h"
#include "services/decision/engine/optimizer.h"
#include "services/decision/engine/price_table.h"

namespace reserve::decision::engine {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kT = 1'000'000;

// Runs `body` `runs` times; prints the times and returns the median in milliseconds.
double Measure(const char* name, int runs, const std::function<void()>& body) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const Clock::time_point start = Clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::string list;
  for (double m : ms) absl::StrAppend(&list, list.empty() ? "" : " ", absl::StrFormat("%.1f", m));
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  std::printf("%-10s runs(ms): %s  median: %.1f ms\n", name, list.c_str(), median);
  return median;
}

template <typename T>
void OrDie(const absl::StatusOr<T>& v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, v.status().ToString().c_str());
    std::exit(1);
  }
}

struct AuctionCase {
  AuctionRules rules;
  std::vector<AuctionLot> lots;
  std::vector<Bidder> bidders;
  std::vector<Bid> bids;
};

AuctionCase MakeAuction(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const absl::Time open = absl::FromCivil(absl::CivilMinute(2021, 7, 5, 9, 0), absl::UTCTimeZone());
  AuctionCase c;
  c.rules.registration_cutoff = absl::CivilDay(2021, 6, 1);
  c.rules.deposit_required_minor = 500'000'000;
  c.rules.bidding_opens_at = open;
  c.rules.bidding_closes_at = open + absl::Hours(2);
  c.rules.bidder_cap_g = 400 * kT;
  const char* metals[] = {"CU", "AL", "ZN"};
  const int64_t reserve[] = {6'800'000, 1'900'000, 2'200'000};
  for (int i = 0; i < 200; ++i) {
    const int k = static_cast<int>(pick(0, 2));
    c.lots.push_back(
        {absl::StrCat("LOT-", 10'000 + i), metals[k], pick(100, 250) * kT, reserve[k]});
  }
  for (int i = 0; i < 2'000; ++i) {
    c.bidders.push_back({absl::StrCat("BIDDER-", i), absl::StrCat("GROUP-", pick(0, 1'899)),
                         pick(0, 9) != 0, absl::CivilDay(2021, 1, 1) + pick(0, 170),
                         pick(0, 19) == 0 ? 0 : 500'000'000});
  }
  for (int i = 0; i < 20'000; ++i) {
    const AuctionLot& lot = c.lots[pick(0, 199)];
    c.bids.push_back({absl::StrCat("BID-", i), absl::StrCat("BIDDER-", pick(0, 1'999)), lot.lot_id,
                      lot.reserve_price_minor_per_t + pick(-50, 400) * 1'000,
                      open + absl::Seconds(pick(-600, 7'800)), i});
  }
  std::shuffle(c.bids.begin(), c.bids.end(), rng);
  return c;
}

OptimizerInput MakeOptimizer(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  OptimizerInput in;
  in.budget_minor = 5'000'000'000'000;  // 50 billion CNY: binds
  in.horizon_months = 12;
  for (int m = 0; m < 20; ++m) {
    OptimizerMetal x;
    x.metal = absl::StrCat("M", m);
    x.target_g = pick(100'000, 800'000) * kT;
    x.holdings_g = pick(0, 80'000) * kT;
    x.weight = pick(1, 9);
    x.price_minor_per_t = pick(1'500'000, 9'000'000) + pick(0, 99);
    x.consumption_g_per_year = pick(500'000, 2'000'000) * kT;
    x.ceiling_remaining_g = pick(60'000, 240'000) * kT;
    in.metals.push_back(x);
  }
  for (int d = 0; d < 50; ++d) {
    OptimizerDepot depot;
    depot.depot = absl::StrCat("D", d);
    depot.handling_minor_per_t = pick(0, 40) * 2'500;
    for (int m = 0; m < 20; ++m) {
      depot.capacity.push_back({absl::StrCat("M", m), pick(0, 5'000) * kT});
    }
    in.depots.push_back(depot);
  }
  return in;
}

int Main(int argc, char** argv) {
  CLI::App app{"decision engine benchmark"};
  int runs = 5;
  std::string only;
  std::string prices_path = "ops/demo/metal-prices-monthly.csv";
  unsigned seed = 1;
  app.add_option("--runs", runs, "runs per case")->check(CLI::Range(1, 101));
  app.add_option("--only", only, "auction, optimizer or backtest");
  app.add_option("--prices", prices_path, "Pink Sheet CSV");
  app.add_option("--seed", seed, "seed for the random cases");
  CLI11_PARSE(app, argc, argv);
  std::mt19937 rng(seed);

  if (only.empty() || only == "auction") {
    const AuctionCase c = MakeAuction(rng);
    absl::StatusOr<AuctionResult> last;
    Measure("auction", runs, [&] { last = ClearAuction(c.rules, c.lots, c.bidders, c.bids); });
    OrDie(last, "auction");
    std::printf(
        "           200 lots, 2000 bidders, 20000 bids: %zu awards, %zu unsold, %zu "
        "rejected, %zu capped, %zu ineligible bidders\n",
        last->awards.size(), last->unsold.size(), last->rejected.size(), last->capped_bids.size(),
        last->ineligible.size());
  }
  if (only.empty() || only == "optimizer") {
    const OptimizerInput in = MakeOptimizer(rng);
    absl::StatusOr<OptimizerResult> last;
    Measure("optimizer", runs, [&] { last = Optimize(in); });
    OrDie(last, "optimizer");
    std::printf(
        "           20 metals x 50 depots: %s, %zu allocations, cost %lld of %lld, "
        "objective %lld, repaired units %lld\n",
        std::string(SolverStatusName(last->status)).c_str(), last->allocations.size(),
        static_cast<long long>(last->total_cost_minor), static_cast<long long>(in.budget_minor),
        static_cast<long long>(last->objective),
        static_cast<long long>(last->repair_units_removed));
  }
  if (only.empty() || only == "backtest") {
    std::ifstream file(prices_path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    absl::StatusOr<MonthlyPrices> prices;
    Measure("csv load", runs, [&] { prices = LoadPinkSheetCsv(text.str(), {6'900'000, 100}); });
    OrDie(prices, "prices");
    BacktestConfig config;
    config.first_month = prices->months.front();
    config.last_month = prices->months.back();
    config.budget_minor_per_year = 2'000'000'000'000;
    config.metals = ReferenceBacktestMetals();
    absl::StatusOr<BacktestResult> last;
    Measure("backtest", runs, [&] { last = RunBacktest(config, *prices); });
    OrDie(last, "backtest");
    std::printf("           %lld months x %zu metals: %zu rows\n",
                static_cast<long long>(last->months), last->totals.size(), last->rows.size());
  }
  return 0;
}

}  // namespace
}  // namespace reserve::decision::engine

int main(int argc, char** argv) { return reserve::decision::engine::Main(argc, argv); }
