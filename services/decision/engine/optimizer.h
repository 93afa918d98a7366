// Purchase optimiser (issue 5): given a budget, allocate purchases across metals and depots
// to minimise the weighted shortfall against targets.
//
// The model is a mixed-integer program solved by GLPK (Debian's libglpk-dev, glp_intopt with
// pseudocost branching), a real solver; nothing here searches by hand. Quantities are whole
// units of `granularity_g`. The solver's doubles never leave this module: its answer is
// rounded to integer units, converted to exact grams and money (cost of a row =
// ValueOfMass(mass_g, price + handling), storage/exact.h), split across depots
// cheapest-first, repaired (units removed) if exact costs exceed the budget, and every
// constraint is then re-checked in integers before anything is returned.
//
//   minimise    sum_m weight_m * s_m                          (s_m: shortfall in units)
//   subject to  s_m >= need_m / g - u_m,  s_m >= 0             for each metal m
//               u_m = sum_d y_md,  0 <= u_m <= cap_m, u_m integer
//               0 <= y_md <= floor(free_md / g)
//               sum_{m,d} (price_m + handling_d) * g / 10^6 * y_md <= budget
//   need_m = max(0, target_g - holdings_g)
//   cap_m  = min(ceil(need_m / g),                  (never buy a unit past the target)
//                floor(ceiling_remaining_g / g),    (Annual Materials Plan ceiling)
//                floor(impact_g / g))               (market impact, below)
//   impact_g = MulDiv(consumption_g_per_year, horizon_months * market_impact_share_bp,
//                     12 * 10000): at most that share of monthly consumption bought per
//                     month, for each of the `horizon_months` months the purchases span.
//
// Only the totals u_m are integer. That loses nothing: for integer totals the cheapest split
// fills depots cheapest-first, which is integral because capacities are whole units, and the
// split returned is exactly that one. (The objective is in grams: objective = sum of
// weight_m * shortfall_g over metals, i.e. the solver's value times g, computed in integers.)
//
// With granularity a whole number of tonnes, every row cost is an integer number of minor
// units and the solver's budget row is exact; with finer granularity each row's money is
// rounded by MulDiv, and the repair step removes units until the exact sum fits.
//
// Thread safety: Optimize() is pure and may be called concurrently (each call owns its GLPK
// problem object; GLPK's environment is per thread).
#ifndef RESERVE_SERVICES_DECISION_ENGINE_OPTIMIZER_H_
#define RESERVE_SERVICES_DECISION_ENGINE_OPTIMIZER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reserve::decision::engine {

// Problem-size limits (RESOURCE_EXHAUSTED naming the field above them): at most 64 integer
// and 16k continuous variables; the reserve has ~10 metals and tens of depots.
inline constexpr size_t kMaxOptimizerMetals = 64;
inline constexpr size_t kMaxOptimizerDepots = 256;
// Weights are 1..1000 so that sum(weight * shortfall_g) over kMaxOptimizerMetals stays
// below 2^63 with masses <= kMaxMassG (rules.h).
inline constexpr int64_t kMaxShortfallWeight = 1'000;
// Units per metal (mass / granularity) stay below 2^31 so the solver's doubles hold them
// exactly with room for its integrality tolerance.
inline constexpr int64_t kMaxUnitsPerMetal = 1'000'000'000;
// Horizon of the market-impact cap: at most 10 years of monthly purchases.
inline constexpr int64_t kMaxHorizonMonths = 120;
// Wall-clock limit handed to GLPK. Reaching it with an integer solution returns that
// solution with status kTimeLimit; without one, DEADLINE_EXCEEDED.
inline constexpr int kSolverTimeLimitMs = 20'000;

struct OptimizerMetal {
  std::string metal;                   // code, distinct; same syntax as rules.h
  int64_t holdings_g = 0;              // >= 0
  int64_t target_g = 0;                // >= 0; need = max(0, target - holdings)
  int64_t weight = 1;                  // 1..kMaxShortfallWeight, per gram of shortfall
  int64_t price_minor_per_t = 0;       // > 0, the purchase price (e.g. a BUY's price limit)
  int64_t ceiling_remaining_g = 0;     // >= 0, annual acquisition ceiling left
  int64_t consumption_g_per_year = 0;  // > 0, for the market-impact cap
};

struct DepotCapacity {
  std::string metal;   // must name one of the input's metals
  int64_t free_g = 0;  // >= 0
};

struct OptimizerDepot {
  std::string depot;  // id, distinct, 1..64 printable ASCII characters
  // Storage, freight and handling charged per tonne placed here, added to the metal's price
  // for the budget; >= 0. Lets the solver prefer cheaper depots.
  int64_t handling_minor_per_t = 0;
  std::vector<DepotCapacity> capacity;  // metals absent here have no room in this depot
};

struct OptimizerInput {
  int64_t budget_minor = 0;                // >= 0
  int64_t market_impact_share_bp = 2'000;  // 0..10000
  int64_t horizon_months = 1;              // 1..kMaxHorizonMonths
  int64_t granularity_g = 1'000'000;       // 1..kMaxMassG; allocations are whole multiples
  std::vector<OptimizerMetal> metals;      // 1..kMaxOptimizerMetals
  std::vector<OptimizerDepot> depots;      // 1..kMaxOptimizerDepots
};

enum class SolverStatus {
  kUnspecified = 0,
  kOptimal = 1,    // GLPK proved integer optimality (relative gap 0)
  kTimeLimit = 2,  // kSolverTimeLimitMs reached; the best integer solution found, feasible
};
absl::string_view SolverStatusName(SolverStatus status);  // "OPTIMAL", "TIME_LIMIT"

// One purchase: `mass_g` of `metal` into `depot` for `cost_minor`.
struct Allocation {
  std::string metal;
  std::string depot;
  int64_t mass_g = 0;             // > 0, a multiple of granularity_g
  int64_t price_minor_per_t = 0;  // metal price + depot handling
  int64_t cost_minor = 0;         // ValueOfMass(mass_g, price_minor_per_t)
  friend bool operator==(const Allocation&, const Allocation&) = default;
};

struct MetalOutcome {
  std::string metal;
  int64_t need_g = 0;       // max(0, target - holdings)
  int64_t cap_g = 0;        // cap_m * granularity (see the model above)
  int64_t bought_g = 0;     // sum of this metal's allocations
  int64_t shortfall_g = 0;  // max(0, need - bought)
  int64_t cost_minor = 0;   // sum of this metal's allocation costs
  friend bool operator==(const MetalOutcome&, const MetalOutcome&) = default;
};

struct OptimizerResult {
  // Rows with mass > 0, ordered by metal (input order) then depot (cheapest handling first,
  // ties by depot id).
  std::vector<Allocation> allocations;
  std::vector<MetalOutcome> metals;  // input order
  int64_t objective = 0;             // sum of weight * shortfall_g, exact
  int64_t total_cost_minor = 0;      // sum of allocation costs, <= budget_minor
  SolverStatus status = SolverStatus::kUnspecified;
  // Units removed after the solve because exact (rounded) costs exceeded the budget; 0 when
  // granularity is whole tonnes.
  int64_t repair_units_removed = 0;
  friend bool operator==(const OptimizerResult&, const OptimizerResult&) = default;
};

// INVALID_ARGUMENT naming the field ("metals[1].weight", "depots[3].capacity[0].metal",
// "budget_minor", ...) for a value out of range, a duplicate id, or a capacity naming an
// unknown metal or a metal twice in one depot; RESOURCE_EXHAUSTED naming the field for more
// than a k* limit of metals, depots or units.
absl::Status ValidateOptimizerInput(const OptimizerInput& input);

// Solves the model above. Buying nothing is always feasible, so there is no "infeasible"
// answer to valid input. Errors: as ValidateOptimizerInput; DEADLINE_EXCEEDED when the time
// limit passes without an integer solution; INTERNAL only if GLPK itself fails (never for
// input that passed validation, barring a solver bug).
absl::StatusOr<OptimizerResult> Optimize(const OptimizerInput& input);

}  // namespace reserve::decision::engine

#endif  // RESERVE_SERVICES_DECISION_ENGINE_OPTIMIZER_H_
