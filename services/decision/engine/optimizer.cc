#include "services/decision/engine/optimizer.h"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "services/decision/engine/internal.h"
#include "services/decision/engine/rules.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {

namespace {

using internal::CheckRange;

constexpr size_t kMaxDepotIdLength = 64;
// Steps of the integer repair before the solver's answer is declared broken. Rounding moves
// each row's money by at most half a minor unit, and the budget row is tightened by that much
// when costs are fractional (see SolverBudget); what is left is the solver's own feasibility
// tolerance, which one step per row absorbs. The bound only stops a solver bug from looping.
constexpr int kMaxRepairSteps = 4 * static_cast<int>(kMaxOptimizerMetals * kMaxOptimizerDepots);

// ---------------------------------------------------------------------------------------
// Validation.

absl::Status ValidateMetals(const OptimizerInput& input) {
  if (input.metals.empty()) {
    return InvalidField("metals", "at least one metal is required");
  }
  if (input.metals.size() > kMaxOptimizerMetals) {
    return internal::TooMany("metals", input.metals.size(), kMaxOptimizerMetals);
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < input.metals.size(); ++i) {
    const OptimizerMetal& m = input.metals[i];
    const std::string at = absl::StrCat("metals[", i, "]");
    if (!internal::IsMetalCode(m.metal)) {
      return InvalidField(at + ".metal", "must be 1..16 characters of A-Z, 0-9, '-', '_'");
    }
    if (!seen.insert(m.metal).second) {
      return InvalidField(at + ".metal", absl::StrCat("duplicate metal ", m.metal));
    }
    const std::pair<const char*, std::pair<int64_t, std::pair<int64_t, int64_t>>> ranges[] = {
        {"holdings_g", {m.holdings_g, {0, kMaxMassG}}},
        {"target_g", {m.target_g, {0, kMaxMassG}}},
        {"weight", {m.weight, {1, kMaxShortfallWeight}}},
        {"price_minor_per_t", {m.price_minor_per_t, {1, kMaxPriceMinorPerT}}},
        {"ceiling_remaining_g", {m.ceiling_remaining_g, {0, kMaxMassG}}},
        {"consumption_g_per_year", {m.consumption_g_per_year, {1, kMaxMassG}}},
    };
    for (const auto& [name, check] : ranges) {
      if (absl::Status s = CheckRange(absl::StrCat(at, ".", name), check.first, check.second.first,
                                      check.second.second);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDepots(const OptimizerInput& input) {
  if (input.depots.empty()) {
    return InvalidField("depots", "at least one depot is required");
  }
  if (input.depots.size() > kMaxOptimizerDepots) {
    return internal::TooMany("depots", input.depots.size(), kMaxOptimizerDepots);
  }
  absl::flat_hash_set<absl::string_view> metals;
  for (const OptimizerMetal& m : input.metals) {
    metals.insert(m.metal);
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < input.depots.size(); ++i) {
    const OptimizerDepot& d = input.depots[i];
    const std::string at = absl::StrCat("depots[", i, "]");
    if (!internal::IsPrintableId(d.depot, kMaxDepotIdLength)) {
      return InvalidField(at + ".depot", "must be 1..64 printable ASCII characters");
    }
    if (!seen.insert(d.depot).second) {
      return InvalidField(at + ".depot", absl::StrCat("duplicate depot ", d.depot));
    }
    if (absl::Status s =
            CheckRange(at + ".handling_minor_per_t", d.handling_minor_per_t, 0, kMaxPriceMinorPerT);
        !s.ok()) {
      return s;
    }
    if (d.capacity.size() > kMaxOptimizerMetals) {
      return internal::TooMany(at + ".capacity", d.capacity.size(), kMaxOptimizerMetals);
    }
    absl::flat_hash_set<absl::string_view> here;
    for (size_t j = 0; j < d.capacity.size(); ++j) {
      const std::string cap = absl::StrCat(at, ".capacity[", j, "]");
      if (!metals.contains(d.capacity[j].metal)) {
        return InvalidField(cap + ".metal",
                            absl::StrCat("'", d.capacity[j].metal, "' is not one of the metals"));
      }
      if (!here.insert(d.capacity[j].metal).second) {
        return InvalidField(cap + ".metal", absl::StrCat("a second capacity for ",
                                                         d.capacity[j].metal, " in ", d.depot));
      }
      if (absl::Status s = CheckRange(cap + ".free_g", d.capacity[j].free_g, 0, kMaxMassG);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// The model in integers.

struct MetalModel {
  int64_t need_g = 0;
  int64_t cap_units = 0;     // the documented cap, in units
  int64_t column_units = 0;  // cap_units, further bounded by what the budget affords
};

struct Cell {  // one (metal, depot) pair with room
  size_t metal = 0;
  size_t depot = 0;
  int64_t free_units = 0;
  int64_t price_minor_per_t = 0;  // metal price + depot handling
};

struct Model {
  std::vector<MetalModel> metals;
  std::vector<Cell> cells;  // metal-major; per metal, cheapest depot first, ties by depot id
};

int64_t CeilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

Model BuildModel(const OptimizerInput& input) {
  const int64_t g = input.granularity_g;
  Model model;
  // Validation bounded every factor: these MulDivs cannot fail.
  for (const OptimizerMetal& m : input.metals) {
    MetalModel mm;
    mm.need_g = std::max<int64_t>(0, m.target_g - m.holdings_g);
    const int64_t impact_g =
        *MulDiv(m.consumption_g_per_year, input.horizon_months * input.market_impact_share_bp,
                kMonthsPerYear * kBasisPoints);
    mm.cap_units = std::min({CeilDiv(mm.need_g, g), m.ceiling_remaining_g / g, impact_g / g});
    model.metals.push_back(mm);
  }
  std::vector<size_t> depot_order(input.depots.size());
  std::iota(depot_order.begin(), depot_order.end(), 0);
  std::sort(depot_order.begin(), depot_order.end(), [&](size_t a, size_t b) {
    const OptimizerDepot& da = input.depots[a];
    const OptimizerDepot& db = input.depots[b];
    if (da.handling_minor_per_t != db.handling_minor_per_t) {
      return da.handling_minor_per_t < db.handling_minor_per_t;
    }
    return da.depot < db.depot;
  });
  absl::flat_hash_map<absl::string_view, size_t> metal_index;
  for (size_t i = 0; i < input.metals.size(); ++i) {
    metal_index.emplace(input.metals[i].metal, i);
  }
  std::vector<std::vector<Cell>> per_metal(input.metals.size());
  for (size_t d : depot_order) {
    for (const DepotCapacity& c : input.depots[d].capacity) {
      const size_t m = metal_index.at(c.metal);
      const int64_t free_units = c.free_g / g;
      if (free_units == 0 || model.metals[m].cap_units == 0) {
        continue;
      }
      per_metal[m].push_back(
          {m, d, free_units,
           input.metals[m].price_minor_per_t + input.depots[d].handling_minor_per_t});
    }
  }
  for (size_t m = 0; m < per_metal.size(); ++m) {
    MetalModel& mm = model.metals[m];
    mm.column_units = mm.cap_units;
    if (!per_metal[m].empty()) {
      // Never more than the whole budget buys at the cheapest depot.
      const int64_t affordable_g = internal::AffordableGrams(
          input.budget_minor, per_metal[m].front().price_minor_per_t, kMaxMassG);
      mm.column_units = std::min(mm.column_units, affordable_g / g);
    }
    for (Cell& cell : per_metal[m]) {
      cell.free_units = std::min(cell.free_units, mm.column_units);
      if (cell.free_units > 0) {
        model.cells.push_back(cell);
      }
    }
  }
  return model;
}

// The budget as the solver sees it. With whole-tonne units every row's money is an integer
// and the budget is exact; otherwise each row may round up by half a minor unit, so the
// solver gets that much less (and the integer repair catches anything left).
double SolverBudget(const OptimizerInput& input, const Model& model) {
  int64_t fractional_rows = 0;
  for (const Cell& c : model.cells) {
    const Int128 unit_money = static_cast<Int128>(c.price_minor_per_t) * input.granularity_g;
    if (unit_money % kGramsPerTonne != 0) {
      ++fractional_rows;
    }
  }
  return static_cast<double>(input.budget_minor) - 0.5 * static_cast<double>(fractional_rows);
}

struct GlpDeleter {
  void operator()(glp_prob* p) const { glp_delete_prob(p); }
};

// GLPK keeps an environment per thread from its first call until glp_free_env(): without
// this, every server thread that ever ran the optimiser would keep ~10 KB for its lifetime
// (LeakSanitizer reports it as a leak). Declared before any problem object, so it runs last.
struct GlpEnvironmentScope {
  GlpEnvironmentScope() = default;
  GlpEnvironmentScope(const GlpEnvironmentScope&) = delete;
  GlpEnvironmentScope& operator=(const GlpEnvironmentScope&) = delete;
  ~GlpEnvironmentScope() { glp_free_env(); }
};

struct Solved {
  std::vector<int64_t> total_units;  // per metal
  SolverStatus status = SolverStatus::kUnspecified;
};

// Builds and solves the MIP of optimizer.h. The integer variables are the metals' totals u_m
// (units); the depot split y_md is continuous (see the header for why that is exact), which
// leaves the solver a handful of integer variables instead of one per (metal, depot).
// Columns: u_m (integer, 0..column_units), y per cell (continuous, 0..free), s_m per metal
// with need > 0 (continuous shortfall). Rows: the budget over y; per metal sum_d y_md - u_m
// = 0; per metal with need: s_m + u_m >= need_m / g.
absl::StatusOr<Solved> Solve(const OptimizerInput& input, const Model& model) {
  const double g = static_cast<double>(input.granularity_g);
  const GlpEnvironmentScope environment;
  std::unique_ptr<glp_prob, GlpDeleter> lp(glp_create_prob());
  glp_prob* p = lp.get();
  glp_set_obj_dir(p, GLP_MIN);
  std::vector<int> ia = {0}, ja = {0};
  std::vector<double> ar = {0.0};
  auto put = [&](int row, int col, double value) {
    ia.push_back(row);
    ja.push_back(col);
    ar.push_back(value);
  };
  const int n_metals = static_cast<int>(model.metals.size());
  const int n_cells = static_cast<int>(model.cells.size());
  // Columns 1..n_metals: u_m; then n_cells columns y.
  glp_add_cols(p, n_metals + n_cells);
  std::vector<bool> has_cells(model.metals.size(), false);
  for (const Cell& c : model.cells) has_cells[c.metal] = true;
  for (int m = 1; m <= n_metals; ++m) {
    const int64_t bound = has_cells[m - 1] ? model.metals[m - 1].column_units : 0;
    glp_set_col_kind(p, m, GLP_IV);
    if (bound > 0) {
      glp_set_col_bnds(p, m, GLP_DB, 0.0, static_cast<double>(bound));
    } else {
      glp_set_col_bnds(p, m, GLP_FX, 0.0, 0.0);
    }
  }
  // Row 1: budget over the split.
  glp_add_rows(p, 1);
  glp_set_row_bnds(p, 1, GLP_UP, 0.0, SolverBudget(input, model));
  for (int k = 0; k < n_cells; ++k) {
    const Cell& c = model.cells[k];
    const int y = n_metals + 1 + k;
    glp_set_col_bnds(p, y, GLP_DB, 0.0, static_cast<double>(c.free_units));
    put(1, y, static_cast<double>(c.price_minor_per_t) * g / kGramsPerTonne);
  }
  // Per metal: the split adds up to the total; the shortfall covers the rest of the need.
  const int link_rows = glp_add_rows(p, n_metals);
  for (int m = 0; m < n_metals; ++m) {
    glp_set_row_bnds(p, link_rows + m, GLP_FX, 0.0, 0.0);
    put(link_rows + m, m + 1, -1.0);
  }
  for (int k = 0; k < n_cells; ++k) {
    put(link_rows + static_cast<int>(model.cells[k].metal), n_metals + 1 + k, 1.0);
  }
  for (int m = 0; m < n_metals; ++m) {
    const MetalModel& mm = model.metals[m];
    if (mm.need_g == 0) continue;
    const int s = glp_add_cols(p, 1);
    glp_set_col_kind(p, s, GLP_CV);
    glp_set_col_bnds(p, s, GLP_LO, 0.0, 0.0);
    glp_set_obj_coef(p, s, static_cast<double>(input.metals[m].weight));
    const int need_row = glp_add_rows(p, 1);
    glp_set_row_bnds(p, need_row, GLP_LO, static_cast<double>(mm.need_g) / g, 0.0);
    put(need_row, s, 1.0);
    put(need_row, m + 1, 1.0);
  }
  glp_load_matrix(p, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());

  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_ON;
  parm.tm_lim = kSolverTimeLimitMs;
  parm.mip_gap = 0.0;
  // Pseudocost branching: on 100 random 20 x 50 cases the slowest proof of optimality took
  // 64 ms with it and over 2 s with GLPK's default (Driebeck-Tomlin) branching.
  parm.br_tech = GLP_BR_PCH;
  const int ret = glp_intopt(p, &parm);
  const int status = glp_mip_status(p);
  Solved out;
  if (ret == 0 && status == GLP_OPT) {
    out.status = SolverStatus::kOptimal;
  } else if (ret == GLP_ETMLIM && status == GLP_FEAS) {
    out.status = SolverStatus::kTimeLimit;
  } else if (ret == GLP_ETMLIM) {
    return absl::DeadlineExceededError(
        absl::StrCat("the solver found no integer solution within ", kSolverTimeLimitMs, " ms"));
  } else {
    return absl::InternalError(absl::StrCat("GLPK glp_intopt returned ", ret, ", status ", status));
  }
  out.total_units.resize(model.metals.size());
  for (int m = 1; m <= n_metals; ++m) {
    out.total_units[m - 1] = std::clamp<int64_t>(std::llround(glp_mip_col_val(p, m)), 0,
                                                 model.metals[m - 1].column_units);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Back in integers.

// Per metal: the solver's total units split over depots cheapest first (the cells are in
// that order), which is the cheapest split of that total.
std::vector<int64_t> Split(const Model& model, std::vector<int64_t> total_units) {
  std::vector<int64_t> out(model.cells.size(), 0);
  for (size_t k = 0; k < model.cells.size(); ++k) {
    const size_t m = model.cells[k].metal;
    out[k] = std::min(total_units[m], model.cells[k].free_units);
    total_units[m] -= out[k];
  }
  return out;
}

std::optional<int64_t> ExactCost(const OptimizerInput& input, const Model& model,
                                 const std::vector<int64_t>& units) {
  int64_t sum = 0;
  for (size_t k = 0; k < model.cells.size(); ++k) {
    if (units[k] == 0) continue;
    std::optional<int64_t> cost =
        ValueOfMass(units[k] * input.granularity_g, model.cells[k].price_minor_per_t);
    std::optional<int64_t> next = cost ? CheckedAdd(sum, *cost) : std::nullopt;
    if (!next) return std::nullopt;
    sum = *next;
  }
  return sum;
}

int64_t Shortfall(int64_t need_g, int64_t bought_g) {
  return std::max<int64_t>(0, need_g - bought_g);
}

// Removes units until the exact cost fits the budget. Each step picks the metal whose
// objective rises least per unit removed (ties: the dearer unit, then input order) and takes
// from its dearest depot as many units as that row must shed to cover the excess (at least
// one). Returns the number of units removed.
absl::StatusOr<int64_t> Repair(const OptimizerInput& input, const Model& model,
                               std::vector<int64_t>& units) {
  const int64_t g = input.granularity_g;
  int64_t removed = 0;
  for (int step = 0;; ++step) {
    std::optional<int64_t> cost = ExactCost(input, model, units);
    if (cost && *cost <= input.budget_minor) {
      return removed;
    }
    if (step >= kMaxRepairSteps) {
      return absl::InternalError("the solver's answer needs more repair than rounding explains");
    }
    std::vector<int64_t> bought(model.metals.size(), 0);
    std::vector<std::optional<size_t>> dearest(model.metals.size());
    for (size_t k = 0; k < model.cells.size(); ++k) {
      if (units[k] == 0) continue;
      bought[model.cells[k].metal] += units[k] * g;
      dearest[model.cells[k].metal] = k;  // later cells of a metal are dearer
    }
    std::optional<size_t> pick;
    int64_t pick_rise = 0, pick_price = 0;
    for (size_t m = 0; m < model.metals.size(); ++m) {
      if (!dearest[m]) continue;
      const int64_t need = model.metals[m].need_g;
      const int64_t rise =
          input.metals[m].weight * (Shortfall(need, bought[m] - g) - Shortfall(need, bought[m]));
      const int64_t price = model.cells[*dearest[m]].price_minor_per_t;
      if (!pick || rise < pick_rise || (rise == pick_rise && price > pick_price)) {
        pick = m;
        pick_rise = rise;
        pick_price = price;
      }
    }
    if (!pick) {
      return absl::InternalError("over budget with nothing bought");
    }
    const size_t k = *dearest[*pick];
    const int64_t row_cost = *ValueOfMass(units[k] * g, model.cells[k].price_minor_per_t);
    const int64_t excess = cost ? *cost - input.budget_minor : row_cost;
    const int64_t keep_units =
        internal::AffordableGrams(std::max<int64_t>(0, row_cost - excess),
                                  model.cells[k].price_minor_per_t, kMaxMassG) /
        g;
    const int64_t shed = std::max<int64_t>(1, units[k] - std::min(keep_units, units[k]));
    units[k] -= shed;
    removed += shed;
  }
}

// Every constraint of the model, in integers. A failure is a bug, never bad input.
absl::Status Verify(const OptimizerInput& input, const Model& model,
                    const OptimizerResult& result) {
  int64_t cost = 0;
  for (size_t m = 0; m < model.metals.size(); ++m) {
    const MetalOutcome& o = result.metals[m];
    if (o.bought_g > model.metals[m].cap_units * input.granularity_g ||
        o.bought_g > input.metals[m].ceiling_remaining_g) {
      return absl::InternalError(absl::StrCat("allocation breaks the cap of ", o.metal));
    }
    cost += o.cost_minor;
  }
  if (cost != result.total_cost_minor || cost > input.budget_minor) {
    return absl::InternalError("allocation breaks the budget");
  }
  return absl::OkStatus();
}

OptimizerResult Report(const OptimizerInput& input, const Model& model,
                       const std::vector<int64_t>& units) {
  const int64_t g = input.granularity_g;
  OptimizerResult out;
  out.metals.resize(input.metals.size());
  for (size_t m = 0; m < input.metals.size(); ++m) {
    out.metals[m].metal = input.metals[m].metal;
    out.metals[m].need_g = model.metals[m].need_g;
    out.metals[m].cap_g = model.metals[m].cap_units * g;
  }
  for (size_t k = 0; k < model.cells.size(); ++k) {
    if (units[k] == 0) continue;
    const Cell& c = model.cells[k];
    Allocation a{input.metals[c.metal].metal, input.depots[c.depot].depot, units[k] * g,
                 c.price_minor_per_t, 0};
    a.cost_minor = *ValueOfMass(a.mass_g, a.price_minor_per_t);  // within budget: checked
    out.metals[c.metal].bought_g += a.mass_g;
    out.metals[c.metal].cost_minor += a.cost_minor;
    out.total_cost_minor += a.cost_minor;
    out.allocations.push_back(std::move(a));
  }
  for (size_t m = 0; m < input.metals.size(); ++m) {
    MetalOutcome& o = out.metals[m];
    o.shortfall_g = Shortfall(o.need_g, o.bought_g);
    out.objective += input.metals[m].weight * o.shortfall_g;
  }
  return out;
}

}  // namespace

absl::string_view SolverStatusName(SolverStatus status) {
  switch (status) {
    case SolverStatus::kOptimal:
      return "OPTIMAL";
    case SolverStatus::kTimeLimit:
      return "TIME_LIMIT";
    case SolverStatus::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

absl::Status ValidateOptimizerInput(const OptimizerInput& input) {
  const std::pair<const char*, std::pair<int64_t, std::pair<int64_t, int64_t>>> ranges[] = {
      {"budget_minor", {input.budget_minor, {0, kMaxMoneyMinor}}},
      {"market_impact_share_bp", {input.market_impact_share_bp, {0, kBasisPoints}}},
      {"horizon_months", {input.horizon_months, {1, kMaxHorizonMonths}}},
      {"granularity_g", {input.granularity_g, {1, kMaxMassG}}},
  };
  for (const auto& [name, check] : ranges) {
    if (absl::Status s = CheckRange(name, check.first, check.second.first, check.second.second);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidateMetals(input); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateDepots(input); !s.ok()) {
    return s;
  }
  const Model model = BuildModel(input);
  for (const MetalModel& m : model.metals) {
    if (m.cap_units > kMaxUnitsPerMetal) {
      return internal::TooMany("granularity_g", static_cast<size_t>(m.cap_units),
                               static_cast<size_t>(kMaxUnitsPerMetal));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<OptimizerResult> Optimize(const OptimizerInput& input) {
  if (absl::Status s = ValidateOptimizerInput(input); !s.ok()) {
    return s;
  }
  const Model model = BuildModel(input);
  std::vector<int64_t> units(model.cells.size(), 0);
  SolverStatus status = SolverStatus::kOptimal;  // buying nothing is optimal with no cells
  if (!model.cells.empty()) {
    absl::StatusOr<Solved> solved = Solve(input, model);
    if (!solved.ok()) {
      return solved.status();
    }
    units = Split(model, solved->total_units);
    status = solved->status;
  }
  absl::StatusOr<int64_t> removed = Repair(input, model, units);
  if (!removed.ok()) {
    return removed.status();
  }
  OptimizerResult result = Report(input, model, units);
  result.status = status;
  result.repair_units_removed = *removed;
  if (absl::Status s = Verify(input, model, result); !s.ok()) {
    return s;
  }
  return result;
}

}  // namespace reserve::decision::engine
