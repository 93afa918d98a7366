// decision_backtest: runs the default RuleSet over the Pink Sheet with the reference
// consumption assumption (backtest.h ReferenceBacktestMetals) and writes
//   <out>/backtest-rows.csv, <out>/backtest-totals.csv, <out>/backtest.svg
// Example:
//   decision_backtest --prices ops/demo/metal-prices-monthly.csv --out /tmp/bt
//     --cny-per-usd 6.9 --budget-cny-per-year 20000000000   (one command line)
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "clients/reservectl/decimal.h"
#include "services/decision/engine/backtest.h"
#include "services/decision/engine/price_table.h"

namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace reserve::decision::engine;
  CLI::App app{"Backtest the decision rules over the World Bank Pink Sheet"};
  std::string prices_path = "ops/demo/metal-prices-monthly.csv";
  std::string out_dir = ".";
  std::string rate = "6.9";
  std::string budget = "20000000000";
  std::string from = "1960-01", to = "2023-03";
  bool proceeds = false;
  app.add_option("--prices", prices_path, "Pink Sheet CSV");
  app.add_option("--out", out_dir, "directory for the CSV and SVG files (must exist)");
  app.add_option("--cny-per-usd", rate, "USD->CNY rate, exact decimal (at most 6 decimals)");
  app.add_option("--budget-cny-per-year", budget, "purchase budget per calendar year, CNY");
  app.add_option("--from", from, "first month, YYYY-MM");
  app.add_option("--to", to, "last month, YYYY-MM");
  app.add_flag("--proceeds-fund-purchases", proceeds, "release proceeds refill the budget");
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(prices_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", prices_path.c_str());
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<int64_t> rate_micro = reserve::ctl::ParseScaled(rate, 6);
  absl::StatusOr<int64_t> budget_fen = reserve::ctl::ParseScaled(budget, 2);
  BacktestConfig config;
  if (!rate_micro.ok() || !budget_fen.ok() || !absl::ParseCivilTime(from, &config.first_month) ||
      !absl::ParseCivilTime(to, &config.last_month)) {
    std::fprintf(stderr, "bad --cny-per-usd, --budget-cny-per-year, --from or --to\n");
    return 2;
  }
  absl::StatusOr<MonthlyPrices> prices = LoadPinkSheetCsv(text.str(), {*rate_micro, 100});
  if (!prices.ok()) {
    std::fprintf(stderr, "%s\n", prices.status().ToString().c_str());
    return 1;
  }
  config.budget_minor_per_year = *budget_fen;
  config.release_proceeds_to_budget = proceeds;
  config.metals = ReferenceBacktestMetals();
  absl::StatusOr<BacktestResult> result = RunBacktest(config, *prices);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    return 1;
  }
  const std::string totals = BacktestTotalsCsv(*result);
  if (!WriteFile(absl::StrCat(out_dir, "/backtest-rows.csv"), BacktestRowsCsv(*result)) ||
      !WriteFile(absl::StrCat(out_dir, "/backtest-totals.csv"), totals) ||
      !WriteFile(absl::StrCat(out_dir, "/backtest.svg"), BacktestSvg(*result))) {
    std::fprintf(stderr, "cannot write into %s\n", out_dir.c_str());
    return 1;
  }
  std::fputs(totals.c_str(), stdout);
  return 0;
}
