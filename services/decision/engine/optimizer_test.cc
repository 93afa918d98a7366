#include "services/decision/engine/optimizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/decision/engine/rules.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kT = 1'000'000;

OptimizerMetal Metal(std::string code, int64_t target_t, int64_t weight, int64_t price) {
  OptimizerMetal m;
  m.metal = std::move(code);
  m.target_g = target_t * kT;
  m.weight = weight;
  m.price_minor_per_t = price;
  m.ceiling_remaining_g = 1'000'000 * kT;
  m.consumption_g_per_year = 12'000 * kT;  // impact cap 20% x 1,000 t/month = 200 t
  return m;
}

OptimizerDepot Depot(std::string id, int64_t handling, std::vector<DepotCapacity> capacity) {
  return OptimizerDepot{std::move(id), handling, std::move(capacity)};
}

// Checks every constraint of the model in integers, independently of the optimiser.
void ExpectFeasible(const OptimizerInput& in, const OptimizerResult& r) {
  std::map<std::string, int64_t> bought;
  std::map<std::pair<std::string, std::string>, int64_t> placed;
  int64_t cost = 0;
  for (const Allocation& a : r.allocations) {
    EXPECT_GT(a.mass_g, 0);
    EXPECT_EQ(a.mass_g % in.granularity_g, 0);
    EXPECT_EQ(a.cost_minor, *ValueOfMass(a.mass_g, a.price_minor_per_t));
    bought[a.metal] += a.mass_g;
    placed[{a.depot, a.metal}] += a.mass_g;
    cost += a.cost_minor;
  }
  EXPECT_LE(cost, in.budget_minor);
  EXPECT_EQ(cost, r.total_cost_minor);
  for (const OptimizerDepot& d : in.depots) {
    for (const DepotCapacity& c : d.capacity) {
      EXPECT_LE((placed[{d.depot, c.metal}]), c.free_g) << d.depot << " " << c.metal;
    }
    for (const Allocation& a : r.allocations) {
      if (a.depot != d.depot) continue;
      bool has_room = false;
      for (const DepotCapacity& c : d.capacity) has_room |= c.metal == a.metal;
      EXPECT_TRUE(has_room) << a.depot << " " << a.metal;
    }
  }
  int64_t objective = 0;
  for (const OptimizerMetal& m : in.metals) {
    const int64_t impact_g =
        *MulDiv(m.consumption_g_per_year, in.horizon_months * in.market_impact_share_bp, 120'000);
    EXPECT_LE(bought[m.metal], m.ceiling_remaining_g) << m.metal;
    EXPECT_LE(bought[m.metal], impact_g) << m.metal;
    const int64_t need = std::max<int64_t>(0, m.target_g - m.holdings_g);
    EXPECT_LT(bought[m.metal], need + in.granularity_g) << m.metal;  // never a unit past need
    objective += m.weight * std::max<int64_t>(0, need - bought[m.metal]);
  }
  EXPECT_EQ(objective, r.objective);
}

TEST(OptimizerTest, BudgetSplitCheckedByHand) {
  // CU: 10 t wanted, weight 3, 60,000 CNY/t; AL: 20 t, weight 1, 19,000 CNY/t; 500,000 CNY.
  // Weight per fen: AL 1/1.9e6 > CU 3/6e6, so AL is filled first (20 t = 380,000 CNY) and
  // the remaining 120,000 CNY buys 2 t of CU: objective 3 x 8 t = 24,000,000 (weight x g).
  // Alternatives: CU 3 + AL 16 -> 25 t; CU 1 + AL 20 -> 27 t; CU 8 + AL 1 -> 25 t.
  OptimizerInput in;
  in.budget_minor = 50'000'000;
  in.metals = {Metal("CU", 10, 3, 6'000'000), Metal("AL", 20, 1, 1'900'000)};
  in.depots = {Depot("D1", 0, {{"CU", 100 * kT}, {"AL", 100 * kT}})};
  absl::StatusOr<OptimizerResult> r = Optimize(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, SolverStatus::kOptimal);
  EXPECT_THAT(r->allocations, ElementsAre(Allocation{"CU", "D1", 2 * kT, 6'000'000, 12'000'000},
                                          Allocation{"AL", "D1", 20 * kT, 1'900'000, 38'000'000}));
  EXPECT_EQ(r->objective, 24'000'000);
  EXPECT_EQ(r->total_cost_minor, 50'000'000);
  EXPECT_EQ(r->metals[0].shortfall_g, 8 * kT);
  EXPECT_EQ(r->metals[1].shortfall_g, 0);
  EXPECT_EQ(r->repair_units_removed, 0);
  ExpectFeasible(in, *r);
}

TEST(OptimizerTest, DepotsCeilingsAndMarketImpactCheckedByHand) {
  // CU needs 30 t, ceiling 25 t; D2 (no handling) holds 15 t, D1 (+1,000 CNY/t) 20 t: 15 t
  // to D2, 10 t to D1. ZN needs 50 t; 1,200 t/year at 10% a month over 3 months caps it at
  // 30 t, all in D1. Budget is ample.
  OptimizerInput in;
  in.budget_minor = 10'000'000'000;
  in.market_impact_share_bp = 1'000;
  in.horizon_months = 3;
  OptimizerMetal cu = Metal("CU", 30, 2, 6'000'000);
  cu.ceiling_remaining_g = 25 * kT;
  OptimizerMetal zn = Metal("ZN", 50, 1, 2'200'000);
  zn.consumption_g_per_year = 1'200 * kT;
  in.metals = {cu, zn};
  in.depots = {Depot("D1", 100'000, {{"CU", 20 * kT}, {"ZN", 80 * kT}}),
               Depot("D2", 0, {{"CU", 15 * kT}})};
  absl::StatusOr<OptimizerResult> r = Optimize(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->allocations, ElementsAre(Allocation{"CU", "D2", 15 * kT, 6'000'000, 90'000'000},
                                          Allocation{"CU", "D1", 10 * kT, 6'100'000, 61'000'000},
                                          Allocation{"ZN", "D1", 30 * kT, 2'300'000, 69'000'000}));
  EXPECT_EQ(r->metals[0].cap_g, 25 * kT);
  EXPECT_EQ(r->metals[1].cap_g, 30 * kT);
  EXPECT_EQ(r->objective, 2 * 5 * kT + 1 * 20 * kT);
  ExpectFeasible(in, *r);
}

TEST(OptimizerTest, NothingToBuyIsOptimalAtZeroCost) {
  OptimizerInput in;
  in.budget_minor = 0;
  in.metals = {Metal("CU", 10, 5, 6'000'000), Metal("AL", 0, 1, 1'900'000)};
  in.depots = {Depot("D1", 0, {{"CU", 100 * kT}})};
  absl::StatusOr<OptimizerResult> r = Optimize(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->allocations.empty());
  EXPECT_EQ(r->objective, 50 * kT);
  EXPECT_EQ(r->status, SolverStatus::kOptimal);
  in.budget_minor = 1'000'000'000;
  in.depots = {Depot("D1", 0, {})};  // no room anywhere
  r = Optimize(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->allocations.empty());
  EXPECT_EQ(r->objective, 50 * kT);
}

TEST(OptimizerTest, FractionalCostsAreRoundedAndStillFit) {
  // Units of 333 g at 3,000,001 fen/t: 999.000333 fen a unit; every row rounds.
  OptimizerInput in;
  in.granularity_g = 333;
  in.budget_minor = 999'000;  // exactly 1,000 units at the real price, minus a third of a fen
  OptimizerMetal m = Metal("CU", 1, 1, 3'000'001);
  in.metals = {m};
  in.depots = {Depot("D1", 0, {{"CU", 200'000}}), Depot("D2", 0, {{"CU", 200'000}})};
  absl::StatusOr<OptimizerResult> r = Optimize(in);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectFeasible(in, *r);
  EXPECT_GE(r->metals[0].bought_g, 999 * 333 - 2 * 333);  // at most a unit or two lost
}

// --- brute force on tiny cases ---

// The exact optimum by enumeration in integers, written from optimizer.h's model alone.
// `budget_minor` may differ from in.budget_minor (for the conservative comparison).
int64_t BruteForce(const OptimizerInput& in, int64_t budget_minor) {
  const int64_t g = in.granularity_g;
  struct Var {
    size_t metal;
    int64_t max_units;
    int64_t price;
  };
  std::vector<Var> vars;
  std::vector<int64_t> cap(in.metals.size()), need(in.metals.size());
  for (size_t m = 0; m < in.metals.size(); ++m) {
    const OptimizerMetal& x = in.metals[m];
    need[m] = std::max<int64_t>(0, x.target_g - x.holdings_g);
    const int64_t impact =
        *MulDiv(x.consumption_g_per_year, in.horizon_months * in.market_impact_share_bp, 120'000);
    cap[m] = std::min({(need[m] + g - 1) / g, x.ceiling_remaining_g / g, impact / g});
    for (const OptimizerDepot& d : in.depots) {
      for (const DepotCapacity& c : d.capacity) {
        if (c.metal == x.metal) {
          vars.push_back({m, c.free_g / g, x.price_minor_per_t + d.handling_minor_per_t});
        }
      }
    }
  }
  int64_t best = INT64_MAX;
  std::vector<int64_t> units(vars.size(), 0);
  std::function<void(size_t)> walk = [&](size_t i) {
    if (i == vars.size()) {
      std::vector<int64_t> bought(in.metals.size(), 0);
      int64_t cost = 0;
      for (size_t k = 0; k < vars.size(); ++k) {
        bought[vars[k].metal] += units[k];
        cost += *ValueOfMass(units[k] * g, vars[k].price);
      }
      if (cost > budget_minor) return;
      int64_t objective = 0;
      for (size_t m = 0; m < in.metals.size(); ++m) {
        if (bought[m] > cap[m]) return;
        objective += in.metals[m].weight * std::max<int64_t>(0, need[m] - bought[m] * g);
      }
      best = std::min(best, objective);
      return;
    }
    for (int64_t u = 0; u <= vars[i].max_units; ++u) {
      units[i] = u;
      walk(i + 1);
    }
    units[i] = 0;
  };
  walk(0);
  return best;
}

OptimizerInput TinyCase(std::mt19937& rng, int64_t granularity_g) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  OptimizerInput in;
  in.granularity_g = granularity_g;
  in.market_impact_share_bp = pick(0, 3) == 0 ? pick(0, 10'000) : 10'000;
  in.horizon_months = pick(1, 3);
  const int metals = static_cast<int>(pick(1, 3));
  const int depots = static_cast<int>(pick(1, 2));
  int64_t total_cost = 0;
  for (int m = 0; m < metals; ++m) {
    OptimizerMetal x;
    x.metal = absl::StrCat("M", m);
    x.holdings_g = pick(0, 3) * granularity_g + pick(0, 1) * pick(0, granularity_g - 1);
    x.target_g = x.holdings_g + pick(0, 6) * granularity_g + pick(0, granularity_g - 1);
    x.weight = pick(1, 9);
    x.price_minor_per_t = pick(1, 50) * 100'000 + pick(0, 1) * pick(0, 99'999);
    x.ceiling_remaining_g = pick(0, 7) * granularity_g + pick(0, granularity_g - 1);
    x.consumption_g_per_year = pick(6, 120) * granularity_g;
    in.metals.push_back(x);
    total_cost += (x.price_minor_per_t + 500'000) * 4;
  }
  const int64_t cells = static_cast<int64_t>(metals) * depots;
  for (int d = 0; d < depots; ++d) {
    OptimizerDepot depot;
    depot.depot = absl::StrCat("D", d);
    depot.handling_minor_per_t = pick(0, 2) * pick(0, 500'000);
    for (const OptimizerMetal& m : in.metals) {
      if (pick(0, 4) == 0) continue;
      depot.capacity.push_back({m.metal, pick(0, cells > 4 ? 3 : 4) * granularity_g});
    }
    in.depots.push_back(depot);
  }
  in.budget_minor = pick(0, total_cost * granularity_g / kT);
  return in;
}

TEST(OptimizerTest, MatchesBruteForceOnTinyCases) {
  unsigned seed = std::random_device{}();
  if (const char* env = std::getenv("RESERVE_SEED")) seed = std::strtoul(env, nullptr, 10);
  std::printf("MatchesBruteForceOnTinyCases seed=%u (RESERVE_SEED=%u replays)\n", seed, seed);
  std::mt19937 rng(seed);
  int binding = 0;
  for (int round = 0; round < 500; ++round) {
    // Whole tonnes: every unit costs a whole number of fen, so the solver's budget is exact
    // and its optimum must equal the enumerated one.
    const OptimizerInput in = TinyCase(rng, kT);
    absl::StatusOr<OptimizerResult> r = Optimize(in);
    ASSERT_TRUE(r.ok()) << r.status() << " seed " << seed << " round " << round;
    ASSERT_EQ(r->status, SolverStatus::kOptimal);
    ExpectFeasible(in, *r);
    const int64_t optimum = BruteForce(in, in.budget_minor);
    ASSERT_EQ(r->objective, optimum) << "seed " << seed << " round " << round;
    EXPECT_EQ(r->repair_units_removed, 0);
    if (optimum > BruteForce(in, kMaxMoneyMinor)) ++binding;
  }
  EXPECT_GT(binding, 100);  // the budget must bind often enough to test something
}

TEST(OptimizerTest, FractionalUnitsAreFeasibleAndWithinTheConservativeOptimum) {
  unsigned seed = std::random_device{}();
  if (const char* env = std::getenv("RESERVE_SEED")) seed = std::strtoul(env, nullptr, 10);
  std::printf("FractionalUnitsAreFeasibleAndWithinTheConservativeOptimum seed=%u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 150; ++round) {
    // 0.333333 t units: most rows' money is fractional and rounds.
    const OptimizerInput in = TinyCase(rng, 333'333);
    absl::StatusOr<OptimizerResult> r = Optimize(in);
    ASSERT_TRUE(r.ok()) << r.status() << " seed " << seed << " round " << round;
    ExpectFeasible(in, *r);
    // Never better than the true integer optimum. Never worse than the optimum under a budget
    // one fen per (metal, depot) pair smaller: the solver's budget is short by at most half a
    // fen per pair, and each pair's rounding moves its money by at most another half.
    int64_t pairs = 0;
    for (const OptimizerDepot& d : in.depots) pairs += static_cast<int64_t>(d.capacity.size());
    ASSERT_GE(r->objective, BruteForce(in, in.budget_minor)) << "seed " << seed;
    ASSERT_LE(r->objective, BruteForce(in, std::max<int64_t>(0, in.budget_minor - pairs)))
        << "seed " << seed << " round " << round;
  }
}

TEST(OptimizerTest, TwentyMetalsByFiftyDepotsIsFeasible) {
  std::mt19937 rng(7);
  OptimizerInput in;
  in.budget_minor = 5'000'000'000'000;  // 50 billion CNY: binds
  in.horizon_months = 12;
  for (int m = 0; m < 20; ++m) {
    OptimizerMetal x = Metal(absl::StrCat("M", m), 0, 1 + m % 7, 0);
    x.target_g = (100'000 + 37'000 * m) * kT;
    x.holdings_g = (20'000 * (m % 5)) * kT;
    x.price_minor_per_t = 1'500'000 + 350'000 * m;
    x.consumption_g_per_year = 1'000'000 * kT;
    x.ceiling_remaining_g = (60'000 + 9'000 * m) * kT;
    in.metals.push_back(x);
  }
  for (int d = 0; d < 50; ++d) {
    OptimizerDepot depot = Depot(absl::StrCat("D", d), 10'000 * (d % 9), {});
    for (int m = 0; m < 20; ++m) {
      depot.capacity.push_back({absl::StrCat("M", m), (500 + 97 * ((d * 31 + m * 17) % 41)) * kT});
    }
    in.depots.push_back(depot);
  }
  absl::StatusOr<OptimizerResult> r = Optimize(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, SolverStatus::kOptimal);
  ExpectFeasible(in, *r);
  EXPECT_GT(r->total_cost_minor, in.budget_minor * 99 / 100);
}

// --- invalid input ---

TEST(OptimizerTest, InvalidInputNamesTheField) {
  struct Bad {
    const char* field;
    void (*mutate)(OptimizerInput&);
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  };
  const Bad cases[] = {
      {"budget_minor", [](OptimizerInput& in) { in.budget_minor = -1; }},
      {"market_impact_share_bp", [](OptimizerInput& in) { in.market_impact_share_bp = 10'001; }},
      {"horizon_months", [](OptimizerInput& in) { in.horizon_months = 0; }},
      {"horizon_months", [](OptimizerInput& in) { in.horizon_months = kMaxHorizonMonths + 1; }},
      {"granularity_g", [](OptimizerInput& in) { in.granularity_g = 0; }},
      {"granularity_g",
       [](OptimizerInput& in) {  // 10^10 one-gram units of CU: over the limit
         in.granularity_g = 1;
         in.metals[0].consumption_g_per_year = kMaxMassG;
       },
       absl::StatusCode::kResourceExhausted},
      {"metals", [](OptimizerInput& in) { in.metals.clear(); }},
      {"metals",
       [](OptimizerInput& in) {
         for (size_t i = 0; i <= kMaxOptimizerMetals; ++i) {
           in.metals.push_back(Metal(absl::StrCat("X", i), 1, 1, 1));
         }
       },
       absl::StatusCode::kResourceExhausted},
      {"metals[1].metal", [](OptimizerInput& in) { in.metals[1].metal = "CU"; }},
      {"metals[0].metal", [](OptimizerInput& in) { in.metals[0].metal = "c u"; }},
      {"metals[0].holdings_g", [](OptimizerInput& in) { in.metals[0].holdings_g = -1; }},
      {"metals[0].target_g", [](OptimizerInput& in) { in.metals[0].target_g = kMaxMassG + 1; }},
      {"metals[1].weight", [](OptimizerInput& in) { in.metals[1].weight = 0; }},
      {"metals[1].weight", [](OptimizerInput& in) { in.metals[1].weight = 1'001; }},
      {"metals[1].price_minor_per_t",
       [](OptimizerInput& in) { in.metals[1].price_minor_per_t = 0; }},
      {"metals[0].ceiling_remaining_g",
       [](OptimizerInput& in) { in.metals[0].ceiling_remaining_g = -1; }},
      {"metals[0].consumption_g_per_year",
       [](OptimizerInput& in) { in.metals[0].consumption_g_per_year = 0; }},
      {"depots", [](OptimizerInput& in) { in.depots.clear(); }},
      {"depots",
       [](OptimizerInput& in) {
         for (size_t i = 0; i <= kMaxOptimizerDepots; ++i) {
           in.depots.push_back(Depot(absl::StrCat("X", i), 0, {}));
         }
       },
       absl::StatusCode::kResourceExhausted},
      {"depots[1].depot", [](OptimizerInput& in) { in.depots[1].depot = "D1"; }},
      {"depots[0].depot", [](OptimizerInput& in) { in.depots[0].depot = ""; }},
      {"depots[0].handling_minor_per_t",
       [](OptimizerInput& in) { in.depots[0].handling_minor_per_t = -1; }},
      {"depots[0].capacity[1].metal",
       [](OptimizerInput& in) { in.depots[0].capacity[1].metal = "NI"; }},
      {"depots[0].capacity[1].metal",
       [](OptimizerInput& in) { in.depots[0].capacity[1].metal = "CU"; }},
      {"depots[1].capacity[0].free_g",
       [](OptimizerInput& in) { in.depots[1].capacity[0].free_g = -1; }},
  };
  for (const Bad& b : cases) {
    OptimizerInput in;
    in.budget_minor = 50'000'000;
    in.metals = {Metal("CU", 10'000, 3, 6'000'000), Metal("AL", 20, 1, 1'900'000)};
    in.depots = {Depot("D1", 0, {{"CU", 100 * kT}, {"AL", 100 * kT}}),
                 Depot("D2", 0, {{"CU", 100 * kT}})};
    b.mutate(in);
    absl::StatusOr<OptimizerResult> r = Optimize(in);
    EXPECT_EQ(r.status().code(), b.code) << b.field << ": " << r.status();
    EXPECT_EQ(FieldOf(r.status()), b.field) << r.status();
  }
}

}  // namespace
}  // namespace reserve::decision::engine
