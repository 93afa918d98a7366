// Monthly price table loaded from the World Bank "Pink Sheet" CSV (ops/demo/
// metal-prices-monthly.csv; World Bank Commodity Price Data (The Pink Sheet), CC BY 4.0).
//
// Format: RFC 4180 (read by services/inventory/csv_reader.h over libcsv). The header is
// "month" followed by columns named <metal>_usd_per_t or <metal>_usd_per_troy_oz, where
// <metal> is one of aluminum, copper, lead, tin, nickel, zinc, gold, platinum, silver (codes
// AL, CU, PB, SN, NI, ZN, AU, PT, AG). Rows: "YYYY-MM" months strictly increasing and
// consecutive, then one positive decimal per column (at most 6 fractional digits; no empty
// cells, no exponent).
//
// Conversion to minor units of the target currency per tonne, exactly, with ONE rounding
// (storage/exact.h MulDiv, half away from zero) at the end:
//   per tonne:      minor/t = usd_micro * rate_micro * minor_per_major / 10^12
//   per troy ounce: minor/t = usd_micro * rate_micro * minor_per_major * 10 / 311'034'768
// where usd_micro is the cell times 10^6, rate_micro is `cny_per_usd_micro` (CNY per USD
// times 10^6), and a tonne is 10^6 g / 31.1034768 g = 10^13 / 311,034,768 troy ounces.
// Example: copper 715.40 USD/t at 6.90 CNY/USD -> 493,626 fen/t (4,936.26 CNY/t).
#ifndef RESERVE_SERVICES_DECISION_ENGINE_PRICE_TABLE_H_
#define RESERVE_SERVICES_DECISION_ENGINE_PRICE_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/decision/engine/rules.h"

namespace reserve::decision::engine {

// Rows in one file: 200 years of months (the Pink Sheet has 759).
inline constexpr size_t kMaxPriceTableMonths = 2'400;
// Columns besides "month": the nine Pink Sheet metals, with room.
inline constexpr size_t kMaxPriceTableMetals = 32;
// Largest input file: ~100 bytes a row at the row limit, with room.
inline constexpr size_t kMaxPriceTableBytes = 4 << 20;
// Grams in a troy ounce, times 10^7: 31.1034768 g.
inline constexpr int64_t kTroyOunceGramsE7 = 311'034'768;

struct Conversion {
  // CNY (or the target currency's major unit) per USD, times 10^6: 6.9 -> 6'900'000. > 0.
  int64_t cny_per_usd_micro = 0;
  // Minor units per major unit of the target currency (100 for CNY: fen). 1..10^4.
  int64_t minor_per_major = 100;
};

struct MonthlyPrices {
  std::vector<absl::CivilMonth> months;  // consecutive, oldest first
  std::vector<std::string> metals;       // codes in column order, e.g. "AL"
  // price_minor_per_t[i][j]: metal i, month j.
  std::vector<std::vector<int64_t>> price_minor_per_t;

  // Index of `metal` in `metals`, or -1.
  int MetalIndex(absl::string_view metal) const;
  // Marks of metal i as rules.h PriceMarks dated the first of each month.
  std::vector<PriceMark> Marks(size_t metal_index) const;
};

// Parses the CSV text as described above. Errors: INVALID_ARGUMENT naming the field, e.g.
// "conversion.cny_per_usd_micro", "csv" (malformed CSV), "header[3]" (unknown column),
// "rows[12].month", "rows[12].copper_usd_per_t" (not a positive decimal, or overflow);
// RESOURCE_EXHAUSTED naming "csv" above the k* limits.
absl::StatusOr<MonthlyPrices> LoadPinkSheetCsv(absl::string_view csv_text,
                                               const Conversion& conversion);

}  // namespace reserve::decision::engine

#endif  // RESERVE_SERVICES_DECISION_ENGINE_PRICE_TABLE_H_
