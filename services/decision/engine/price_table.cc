#include "services/decision/engine/price_table.h"

#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "clients/reservectl/decimal.h"
#include "services/decision/engine/internal.h"
#include "services/inventory/csv_reader.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine {

namespace {

// The Pink Sheet's names for the metals, and our codes for them.
struct KnownMetal {
  absl::string_view name;
  absl::string_view code;
};
constexpr KnownMetal kKnownMetals[] = {
    {"aluminum", "AL"}, {"copper", "CU"}, {"lead", "PB"},     {"tin", "SN"},    {"nickel", "NI"},
    {"zinc", "ZN"},     {"gold", "AU"},   {"platinum", "PT"}, {"silver", "AG"},
};
constexpr absl::string_view kPerTonne = "_usd_per_t";
constexpr absl::string_view kPerTroyOunce = "_usd_per_troy_oz";
constexpr int kUsdScale = 6;  // cells are read as micro-USD: at most 6 decimals
// 10^12 = 10^6 (micro-USD) * 10^6 (micro rate).
constexpr int64_t kMicroMicro = 1'000'000'000'000;
// Most CNY per USD accepted (a sanity bound, far above any real rate).
constexpr int64_t kMaxRateMicro = 1'000'000'000;
constexpr int64_t kMaxMinorPerMajor = 10'000;

struct Column {
  std::string code;
  bool per_troy_ounce = false;
};

absl::StatusOr<Column> ParseHeader(absl::string_view name, size_t index) {
  Column column;
  absl::string_view metal = name;
  if (absl::ConsumeSuffix(&metal, kPerTroyOunce)) {
    column.per_troy_ounce = true;
  } else if (!absl::ConsumeSuffix(&metal, kPerTonne)) {
    return InvalidField(
        absl::StrCat("header[", index, "]"),
        absl::StrCat("'", name, "' is not <metal>", kPerTonne, " or <metal>", kPerTroyOunce));
  }
  for (const KnownMetal& known : kKnownMetals) {
    if (known.name == metal) {
      column.code = std::string(known.code);
      return column;
    }
  }
  return InvalidField(absl::StrCat("header[", index, "]"),
                      absl::StrCat("unknown metal '", metal, "'"));
}

// minor units per tonne from a USD cell, with the one rounding at the end (see the header).
std::optional<int64_t> Convert(int64_t usd_micro, const Column& column,
                               const Conversion& conversion) {
  std::optional<int64_t> product = CheckedMul(usd_micro, conversion.cny_per_usd_micro);
  if (!product) {
    return std::nullopt;
  }
  if (column.per_troy_ounce) {
    return MulDiv(*product, conversion.minor_per_major * 10, kTroyOunceGramsE7);
  }
  return MulDiv(*product, conversion.minor_per_major, kMicroMicro);
}

}  // namespace

int MonthlyPrices::MetalIndex(absl::string_view metal) const {
  for (size_t i = 0; i < metals.size(); ++i) {
    if (metals[i] == metal) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<PriceMark> MonthlyPrices::Marks(size_t metal_index) const {
  std::vector<PriceMark> out;
  out.reserve(months.size());
  for (size_t j = 0; j < months.size(); ++j) {
    out.push_back({absl::CivilDay(months[j]), price_minor_per_t[metal_index][j]});
  }
  return out;
}

absl::StatusOr<MonthlyPrices> LoadPinkSheetCsv(absl::string_view csv_text,
                                               const Conversion& conversion) {
  if (absl::Status s = internal::CheckRange("conversion.cny_per_usd_micro",
                                            conversion.cny_per_usd_micro, 1, kMaxRateMicro);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = internal::CheckRange("conversion.minor_per_major",
                                            conversion.minor_per_major, 1, kMaxMinorPerMajor);
      !s.ok()) {
    return s;
  }
  if (csv_text.size() > kMaxPriceTableBytes) {
    return internal::TooMany("csv", csv_text.size(), kMaxPriceTableBytes);
  }
  absl::StatusOr<std::vector<inventory::CsvRow>> rows =
      inventory::ParseCsv(csv_text, kMaxPriceTableMonths + 1, "csv");
  if (!rows.ok()) {
    if (rows.status().code() == absl::StatusCode::kResourceExhausted) {
      return internal::TooMany("csv", kMaxPriceTableMonths + 2, kMaxPriceTableMonths + 1);
    }
    return rows.status();
  }
  if (rows->empty() || rows->front().empty() || rows->front()[0] != "month") {
    return InvalidField("header[0]", "the first column must be 'month'");
  }
  const inventory::CsvRow& header = rows->front();
  if (header.size() < 2) {
    return InvalidField("header", "no price columns");
  }
  if (header.size() - 1 > kMaxPriceTableMetals) {
    return internal::TooMany("header", header.size() - 1, kMaxPriceTableMetals);
  }
  MonthlyPrices out;
  std::vector<Column> columns;
  for (size_t c = 1; c < header.size(); ++c) {
    absl::StatusOr<Column> column = ParseHeader(header[c], c);
    if (!column.ok()) {
      return column.status();
    }
    if (out.MetalIndex(column->code) >= 0) {
      return InvalidField(absl::StrCat("header[", c, "]"),
                          absl::StrCat("a second column for ", column->code));
    }
    out.metals.push_back(column->code);
    columns.push_back(*std::move(column));
  }
  out.price_minor_per_t.resize(columns.size());
  for (size_t r = 1; r < rows->size(); ++r) {
    const inventory::CsvRow& row = (*rows)[r];
    const std::string at = absl::StrCat("rows[", r - 1, "]");
    if (row.size() != header.size()) {
      return InvalidField(at, absl::StrCat(row.size(), " fields, the header has ", header.size()));
    }
    absl::CivilMonth month;
    if (row[0].size() != 7 || !absl::ParseCivilTime(row[0], &month)) {
      return InvalidField(at + ".month", absl::StrCat("'", row[0], "' is not YYYY-MM"));
    }
    if (!out.months.empty() && month != out.months.back() + 1) {
      return InvalidField(at + ".month", absl::StrCat(row[0], " does not follow ",
                                                      absl::FormatCivilTime(out.months.back())));
    }
    out.months.push_back(month);
    for (size_t c = 1; c < row.size(); ++c) {
      const std::string field = absl::StrCat(at, ".", header[c]);
      absl::StatusOr<int64_t> usd_micro = ctl::ParseScaled(row[c], kUsdScale);
      if (!usd_micro.ok()) {
        return InvalidField(field, usd_micro.status().message());
      }
      if (*usd_micro <= 0) {
        return InvalidField(field, absl::StrCat("'", row[c], "' is not a positive price"));
      }
      std::optional<int64_t> minor = Convert(*usd_micro, columns[c - 1], conversion);
      if (!minor || *minor <= 0 || *minor > kMaxPriceMinorPerT) {
        return InvalidField(field, absl::StrCat("'", row[c], "' converts to no price in 1..",
                                                kMaxPriceMinorPerT, " minor units per tonne"));
      }
      out.price_minor_per_t[c - 1].push_back(*minor);
    }
  }
  if (out.months.empty()) {
    return InvalidField("csv", "no rows after the header");
  }
  return out;
}

}  // namespace reserve::decision::engine
