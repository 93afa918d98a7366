// Inventory domain types: metals, depots, lots, price marks, stock counts (DESIGN.md section 5).
//
// Plain C++ value types. Mass is integer grams, money integer minor units of `currency`.
// Every record type round-trips through JSON (model.cc); the JSON form is what the ledger
// stores under the record keys listed in services/inventory/README.md, so field names in the
// JSON are an on-disk contract: never rename one.
#ifndef RESERVE_SERVICES_INVENTORY_MODEL_H_
#define RESERVE_SERVICES_INVENTORY_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/domain/dates.h"

namespace reserve::inventory {

// The values are stored (as their names) in records: never renumber or rename.
enum class ReserveClass { kUnspecified = 0, kCentral = 1, kLocal = 2, kCommercial = 3 };
enum class DepotKind { kUnspecified = 0, kState = 1, kCommercial = 2 };
enum class LotStatus {
  kUnspecified = 0,
  kInStock = 1,
  kInTransit = 2,
  kReleased = 3,
  kPledged = 4,
  kEarmarked = 5,
};
enum class CountStatus { kUnspecified = 0, kPosted = 1, kPending = 2, kRejected = 3 };

absl::string_view ReserveClassName(ReserveClass c);  // "central", "local", "commercial"
std::optional<ReserveClass> ParseReserveClass(absl::string_view name);
absl::string_view DepotKindName(DepotKind k);  // "state", "commercial"
absl::string_view LotStatusName(LotStatus s);  // "in_stock", "in_transit", ...
absl::string_view CountStatusName(CountStatus s);

struct Grade {
  std::string code;      // e.g. "Cu-CATH-1"
  std::string standard;  // e.g. "GB/T 467"
  friend bool operator==(const Grade&, const Grade&) = default;
};

struct Metal {
  std::string code;  // upper case, e.g. "CU"; the mass unit is "g:<code>"
  std::string name_zh;
  std::string name_en;
  std::vector<Grade> grades;
  friend bool operator==(const Metal&, const Metal&) = default;
};

struct Depot {
  std::string id;
  std::string name;
  std::string province;
  std::string operator_name;
  DepotKind kind = DepotKind::kUnspecified;
  bool approved_for_pledge = false;
  std::map<std::string, int64_t> capacity_g;  // metal code -> capacity in grams
  friend bool operator==(const Depot&, const Depot&) = default;
};

// A claim on a lot (pledge to a bank, earmark for an auction). Set by other services.
struct Encumbrance {
  std::string kind;       // "pledge", "earmark"
  std::string holder;     // e.g. "bank:icbc"
  std::string reference;  // e.g. the pledge or auction id
  friend bool operator==(const Encumbrance&, const Encumbrance&) = default;
};

struct Lot {
  std::string id;
  std::string metal;
  std::string grade;
  std::string standard;  // filled from the catalog grade
  std::string brand;
  std::string form;  // "cathode", "ingot", "oxide powder" ...
  int64_t pieces = 0;
  int64_t net_mass_g = 0;
  int64_t gross_mass_g = 0;
  std::string depot;
  std::string location;  // place inside the depot, e.g. "hall 3, row 12"
  int32_t year_produced = 0;
  int32_t year_stored = 0;
  int64_t cost_minor = 0;  // book cost of the lot as it stands now
  std::string currency;    // ISO 4217, e.g. "CNY"
  ReserveClass reserve_class = ReserveClass::kUnspecified;
  std::string owner;  // "state", "province:gansu", "enterprise:<id>" ...
  LotStatus status = LotStatus::kUnspecified;
  std::string transit_to;  // destination depot while in transit
  std::vector<Encumbrance> encumbrances;
  std::string order_id;  // order the acquisition executed, if any
  std::string released_to;
  std::string release_reference;
  friend bool operator==(const Lot&, const Lot&) = default;
};

struct PriceMark {
  std::string metal;
  absl::CivilDay date;
  int64_t price_minor_per_t = 0;
  std::string currency;
  std::string source;
  friend bool operator==(const PriceMark&, const PriceMark&) = default;
};

struct StockCount {
  std::string id;
  std::string lot_id;
  std::string metal;
  std::string depot;
  int64_t book_mass_g = 0;
  int64_t counted_mass_g = 0;
  int64_t difference_g = 0;  // counted - book
  std::string reason;
  std::string counter;  // principal who recorded the count
  std::string approver;
  CountStatus status = CountStatus::kUnspecified;
  uint64_t lot_version = 0;  // the lot version the count was taken against
  absl::CivilDay business_date;
  friend bool operator==(const StockCount&, const StockCount&) = default;
};

// JSON encodings (the stored form). Decode returns DATA_LOSS for a malformed document.
std::string EncodeMetal(const Metal& m);
std::string EncodeDepot(const Depot& d);
std::string EncodeLot(const Lot& l);
std::string EncodePriceMark(const PriceMark& p);
std::string EncodeStockCount(const StockCount& c);
absl::StatusOr<Metal> DecodeMetal(absl::string_view json);
absl::StatusOr<Depot> DecodeDepot(absl::string_view json);
absl::StatusOr<Lot> DecodeLot(absl::string_view json);
absl::StatusOr<PriceMark> DecodePriceMark(absl::string_view json);
absl::StatusOr<StockCount> DecodeStockCount(absl::string_view json);

namespace internal {
// EncodeLot through a JSON document (the generic path the other records take); EncodeLot
// writes the same bytes faster. For model_test.
std::string EncodeLotViaDocument(const Lot& l);
}  // namespace internal

// "YYYY-MM-DD" <-> CivilDay (the domain kit's; ParseDate is strict).
using domain::FormatDate;
using domain::ParseDate;

}  // namespace reserve::inventory

#endif  // RESERVE_SERVICES_INVENTORY_MODEL_H_
