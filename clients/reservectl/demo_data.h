// The demo data set, generated deterministically from a seed: about a dozen depots across
// provinces, lots sized as real lots are (25 t warrant-sized up to 250 t auction lots) with
// realistic brands, grades, ages and costs, and monthly price marks from the World Bank Pink
// Sheet converted to CNY at a stated rate. Pure: no RPCs here (see demo.cc for the loader).
#ifndef RESERVE_CLIENTS_RESERVECTL_DEMO_DATA_H_
#define RESERVE_CLIENTS_RESERVECTL_DEMO_DATA_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reserve/v1/inventory.pb.h"

namespace reserve::ctl {

// One AcquireLots request's worth: at most kMaxDemoBatchLots lots stored in one year.
inline constexpr size_t kMaxDemoBatchLots = 1000;  // the server's batch limit
// Marks per AddPriceMarks request (the server takes up to 4,000).
inline constexpr size_t kMaxDemoMarksPerRequest = 4000;
// Upper bound on --lots: the demo is for people, not load tests (use reserve-bench).
inline constexpr int kMaxDemoLots = 100'000;
// The newest year a demo lot is produced or stored.
inline constexpr int kDemoLastYear = 2025;

// Monthly USD prices per tonne from the Pink Sheet CSV, kept as their decimal text.
struct PinkSheet {
  // metal code -> "YYYY-MM" -> USD per tonne as written in the file
  std::map<std::string, std::map<std::string, std::string>> usd_per_t;
};

// Parses the CSV (header month,aluminum_usd_per_t,copper_usd_per_t,...). Only the six base
// metals priced per tonne are kept (AL, CU, PB, SN, NI, ZN); empty cells are skipped.
// INVALID_ARGUMENT naming the line for malformed content.
absl::StatusOr<PinkSheet> ParsePinkSheet(absl::string_view csv);

struct DemoOptions {
  uint64_t seed = 1;
  int lots = 2000;
  std::string cny_per_usd = "7.10";  // exact decimal text
};

struct DemoBatch {
  std::string request_id;
  v1::Date business_date;
  std::vector<v1::Lot> lots;
};

struct DemoData {
  std::vector<std::pair<std::string, v1::Depot>> depots;  // request id, depot
  std::vector<v1::AddPriceMarksRequest> price_requests;   // request ids set
  std::vector<DemoBatch> batches;                         // oldest first
  std::string price_source;  // e.g. "World Bank Pink Sheet, USD->CNY at 7.10"
  int64_t total_mass_g = 0;
  size_t total_marks = 0;
};

// The whole data set for `options`; the same options always give the same data (and the
// same request ids, derived from the seed, so loading twice is harmless).
// INVALID_ARGUMENT for a bad rate, a lot count outside 1..kMaxDemoLots, or prices missing.
absl::StatusOr<DemoData> GenerateDemo(const DemoOptions& options, const PinkSheet& prices);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_DEMO_DATA_H_
