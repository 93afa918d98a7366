#include "services/inventory/inventory.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "services/domain/checks.h"
#include "services/domain/fingerprint.h"
#include "services/domain/mutate.h"
#include "services/domain/postings.h"
#include "services/domain/reads.h"
#include "services/inventory/csv_reader.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::inventory {
namespace {

namespace why = inventory_reason;
using json = nlohmann::json;

// ---- Keys and accounts (see README.md "Ledger mapping"; an on-disk contract). ----
constexpr absl::string_view kMetalPrefix = "metal/";
constexpr absl::string_view kDepotPrefix = "depot/";
constexpr absl::string_view kLotPrefix = "lot/";
constexpr absl::string_view kPricePrefix = "price/";
constexpr absl::string_view kCountPrefix = "count/";
constexpr absl::string_view kRequestPrefix = "inventory-request/";
constexpr absl::string_view kSeededKey = "inventory/catalog-seeded";
constexpr absl::string_view kLedgerRequestPrefix = "inventory/";
constexpr absl::string_view kInTransitDepot = "(in transit)";
constexpr absl::string_view kSystemPrincipal = "system:inventory";

std::string MassUnit(absl::string_view metal) { return absl::StrCat("g:", metal); }
std::string StockAccount(const Lot& l) {
  return absl::StrCat("stock/", l.metal, "/", l.depot, "/", ReserveClassName(l.reserve_class), "/",
                      l.owner);
}
std::string TransitAccount(const Lot& l) {
  return absl::StrCat("transit/", l.metal, "/", ReserveClassName(l.reserve_class), "/", l.owner);
}
std::string CapacityAccount(absl::string_view metal, absl::string_view depot) {
  return absl::StrCat("capacity/", metal, "/", depot);
}
std::string CapacitySource(absl::string_view metal) {
  return absl::StrCat("capacity-source/", metal);
}
std::string ExternalAcquired(absl::string_view metal) {
  return absl::StrCat("external/acquired/", metal);
}
std::string ExternalReleased(absl::string_view metal) {
  return absl::StrCat("external/released/", metal);
}
std::string VarianceAccount(absl::string_view metal, absl::string_view depot) {
  return absl::StrCat("variance/", metal, "/", depot);
}
std::string CostAccount(const Lot& l) {
  return absl::StrCat("cost/", l.currency, "/", l.metal, "/", l.depot, "/",
                      ReserveClassName(l.reserve_class), "/", l.owner);
}
std::string CostTransitAccount(const Lot& l) {
  return absl::StrCat("cost-transit/", l.currency, "/", l.metal, "/",
                      ReserveClassName(l.reserve_class), "/", l.owner);
}
std::string CostAcquired(const Lot& l) {
  return absl::StrCat("external/cost-acquired/", l.currency, "/", l.metal);
}
std::string CostReleased(const Lot& l) {
  return absl::StrCat("external/cost-released/", l.currency, "/", l.metal);
}
std::string PriceKey(const PriceMark& p) {
  return absl::StrCat(kPricePrefix, p.metal, "/", FormatDate(p.date), "/", p.currency);
}

// ---- The domain kit (services/domain): checks, postings, reads, mutations. ----
using domain::CheckCurrency;
using domain::CheckDate;
using domain::CheckId;
using domain::CheckMetalCode;
using domain::CheckText;
using domain::Convert;
using domain::Load;
using domain::Loaded;
using domain::NotFound;
using domain::Plan;
using domain::Planner;
using domain::ReadBalances;
using domain::ReadRecord;
using domain::ReadRecords;
using domain::TxBuilder;

// Inventory's receipts and ledger request ids (an on-disk contract; README "Ledger mapping").
constexpr domain::MutationSpec kMutations{kRequestPrefix, kLedgerRequestPrefix, kMaxRequestIdChars};

// Moves `mass_g` from account `from` to `to` (both grams of `metal`).
void MoveMass(TxBuilder& b, absl::string_view metal, const std::string& from, bool from_guarded,
              const std::string& to, bool to_guarded, int64_t mass_g) {
  b.Move(MassUnit(metal), from, from_guarded, to, to_guarded, mass_g);
}

// Takes free space at (metal, depot): capacity account -> capacity source.
void TakeCapacity(TxBuilder& b, absl::string_view metal, absl::string_view depot, int64_t mass_g) {
  MoveMass(b, metal, CapacityAccount(metal, depot), true, CapacitySource(metal), false, mass_g);
}

absl::StatusOr<Loaded<Metal>> LoadMetal(ledger::Ledger& ledger, absl::string_view code) {
  return Load<Metal>(ledger, absl::StrCat(kMetalPrefix, code), why::kUnknownMetal,
                     absl::StrCat("no metal ", code), &DecodeMetal);
}

absl::StatusOr<Loaded<Depot>> LoadDepot(ledger::Ledger& ledger, absl::string_view id) {
  return Load<Depot>(ledger, absl::StrCat(kDepotPrefix, id), why::kUnknownDepot,
                     absl::StrCat("no depot ", id), &DecodeDepot);
}

absl::StatusOr<Loaded<Lot>> LoadLot(ledger::Ledger& ledger, absl::string_view id) {
  return Load<Lot>(ledger, absl::StrCat(kLotPrefix, id), why::kUnknownLot,
                   absl::StrCat("no lot ", id), &DecodeLot);
}

// Inventory's request fingerprint (an on-disk contract: receipts hold it): FNV over the kind,
// business date and content of the request.
std::string RequestFingerprint(absl::string_view kind, absl::CivilDay date, const json& request) {
  return domain::Fnv128Hex(domain::RequestText(kind, date, request));
}

// One idempotent mutation under inventory's receipts (services/domain/mutate.h).
absl::StatusOr<domain::Mutation<json>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                              absl::string_view kind, const json& request,
                                              const Planner& planner) {
  return domain::Mutate(ledger, kMutations, ctx, kind,
                        RequestFingerprint(kind, ctx.business_date, request), planner);
}

json LotJson(const Lot& l) { return json::parse(EncodeLot(l)); }
absl::StatusOr<Lot> LotFromJson(const json& j) { return DecodeLot(j.dump()); }

// ---- Lot rules shared by acquisitions, releases, rotations and transfers. ----

absl::Status CheckLotInput(const Lot& l, const std::string& p, absl::CivilDay date) {
  auto f = [&p](absl::string_view name) { return absl::StrCat(p, ".", name); };
  if (absl::Status s = CheckId(l.id, f("lot_id")); !s.ok()) return s;
  if (absl::Status s = CheckMetalCode(l.metal, f("metal")); !s.ok()) return s;
  if (absl::Status s = CheckText(l.grade, f("grade"), true); !s.ok()) return s;
  if (absl::Status s = CheckText(l.brand, f("brand"), true); !s.ok()) return s;
  if (absl::Status s = CheckText(l.form, f("form"), true); !s.ok()) return s;
  if (l.pieces <= 0) return InvalidField(f("pieces"), "must be at least 1");
  if (l.net_mass_g <= 0) return InvalidField(f("net_mass_g"), "must be positive");
  if (l.gross_mass_g < l.net_mass_g) {
    return InvalidField(f("gross_mass_g"), "must be at least the net mass");
  }
  if (absl::Status s = CheckId(l.depot, f("depot_id")); !s.ok()) return s;
  if (absl::Status s = CheckText(l.location, f("location"), false); !s.ok()) return s;
  if (l.year_produced < 1900 || l.year_produced > date.year()) {
    return InvalidField(f("year_produced"), "between 1900 and the business date's year");
  }
  if (l.year_stored < l.year_produced || l.year_stored > date.year()) {
    return InvalidField(f("year_stored"), "between the year produced and the business date's year");
  }
  if (l.cost_minor < 0) return InvalidField(f("cost_minor"), "must not be negative");
  if (absl::Status s = CheckCurrency(l.currency, f("currency")); !s.ok()) return s;
  if (l.reserve_class == ReserveClass::kUnspecified) {
    return InvalidField(f("reserve_class"), "required");
  }
  if (absl::Status s = CheckId(l.owner, f("owner")); !s.ok()) return s;
  return absl::OkStatus();
}

}  // namespace

// Metals and depots as last read, for acquisitions. Both only change in ways an acquisition
// does not depend on (a metal's grades are only ever added, a depot is never removed, and
// its capacity is enforced by a guarded ledger account, not by the record), so a cached
// entry never admits a lot wrongly; a miss (an unknown metal, depot or grade) re-reads the
// ledger before refusing. Thread-safe.
class CatalogCache {
 public:
  explicit CatalogCache(ledger::Ledger& ledger) : ledger_(ledger) {}

  // The standard of `grade` of `metal`: NOT_FOUND UNKNOWN_METAL, or INVALID_ARGUMENT naming
  // `grade_field` when the metal has no such grade.
  absl::StatusOr<std::string> GradeStandard(const std::string& metal, const std::string& grade,
                                            absl::string_view grade_field) {
    for (bool fresh : {false, true}) {
      absl::StatusOr<std::shared_ptr<const Metal>> m = GetMetal(metal, fresh);
      if (!m.ok()) return m.status();
      for (const Grade& g : (*m)->grades) {
        if (g.code == grade) return g.standard;
      }
    }
    return InvalidField(grade_field, absl::StrCat("not a grade of ", metal));
  }

  // OK when the metal exists; NOT_FOUND UNKNOWN_METAL otherwise.
  absl::Status CheckMetal(const std::string& code) { return GetMetal(code, false).status(); }

  // OK when the depot exists; NOT_FOUND UNKNOWN_DEPOT otherwise.
  absl::Status CheckDepot(const std::string& id) {
    {
      absl::MutexLock l(&mu_);
      if (depots_.contains(id)) return absl::OkStatus();
    }
    absl::StatusOr<Loaded<Depot>> d = LoadDepot(ledger_, id);
    if (!d.ok()) return d.status();
    absl::MutexLock l(&mu_);
    depots_.insert(id);
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<std::shared_ptr<const Metal>> GetMetal(const std::string& code, bool fresh) {
    if (!fresh) {
      absl::MutexLock l(&mu_);
      if (auto it = metals_.find(code); it != metals_.end()) return it->second;
    }
    absl::StatusOr<Loaded<Metal>> m = LoadMetal(ledger_, code);
    if (!m.ok()) return m.status();
    auto metal = std::make_shared<const Metal>(std::move(m->value));
    absl::MutexLock l(&mu_);
    metals_[code] = metal;
    return metal;
  }

  ledger::Ledger& ledger_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Metal>> metals_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> depots_ ABSL_GUARDED_BY(mu_);
};

// Holdings at one journal seq: the answer's rows, in group order (metal, depot, province,
// class, owner), without zero masses. The parts are immutable and shared: an answer brought
// forward over entries that moved no holdings shares them with the last one.
struct GroupedHoldings {
  ledger::Seq seq = 0;
  std::shared_ptr<const std::vector<HoldingRow>> rows;
  // Depot -> province when the query groups by province (else empty), read with the groups.
  std::shared_ptr<const absl::flat_hash_map<std::string, std::string>> province_of;
};

// The last holdings answer per query. What holdings were at seq S never changes: while the
// head stays at S a repeated query (a dashboard polling, a finance user paging through
// groupings) is answered from memory, and once the head moves the answer is brought forward
// from the journal (Inventory::GetHoldings). Thread-safe; a slot keeps the newest answer.
class HoldingsCache {
 public:
  std::shared_ptr<const GroupedHoldings> Find(const std::string& key) {
    absl::MutexLock l(&mu_);
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second;
  }

  void Put(const std::string& key, std::shared_ptr<const GroupedHoldings> holdings) {
    absl::MutexLock l(&mu_);
    if (entries_.size() >= kMaxEntries && !entries_.contains(key)) entries_.clear();
    std::shared_ptr<const GroupedHoldings>& slot = entries_[key];
    if (slot == nullptr || slot->seq <= holdings->seq) slot = std::move(holdings);
  }

 private:
  // Distinct queries kept (group-bys x metals x dates); all are dropped when it is reached.
  static constexpr size_t kMaxEntries = 256;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const GroupedHoldings>> entries_
      ABSL_GUARDED_BY(mu_);
};

namespace {

// Adds the acquisition of `lots` (already validated, ids set) to `b` and `tx`; checks the
// catalog and depots. Unless `optimistic`, also checks against current state that no lot
// exists yet and that the depots have room (plus what a rotation frees in the same
// transaction). The optimistic plan leaves both to the ledger (each lot key is written at
// version 0, each capacity account is guarded), which refuses the commit if either fails.
absl::Status PlanAcquisition(ledger::Ledger& ledger, CatalogCache& catalog, std::vector<Lot> lots,
                             const std::string& field, const std::string& order_id,
                             const std::map<std::pair<std::string, std::string>, int64_t>& freed,
                             bool optimistic, TxBuilder& b, ledger::Transaction& tx) {
  std::vector<std::string> lot_keys;
  lot_keys.reserve(lots.size());
  for (size_t i = 0; i < lots.size(); ++i) {
    Lot& l = lots[i];
    if (absl::Status s = catalog.CheckMetal(l.metal); !s.ok()) return s;
    if (absl::Status s = catalog.CheckDepot(l.depot); !s.ok()) return s;
    absl::StatusOr<std::string> standard =
        catalog.GradeStandard(l.metal, l.grade, absl::StrCat(field, "[", i, "].grade"));
    if (!standard.ok()) return standard.status();
    l.standard = *std::move(standard);
    lot_keys.push_back(absl::StrCat(kLotPrefix, l.id));
  }
  if (!optimistic) {
    absl::StatusOr<ledger::RecordSet> existing = ReadRecords(ledger, lot_keys);
    if (!existing.ok()) return existing.status();
    for (size_t i = 0; i < lots.size(); ++i) {
      if (existing->records[i].version != 0) {
        return Precondition(why::kLotExists,
                            absl::StrCat(field, "[", i, "]: lot ", lots[i].id, " already exists"));
      }
    }
  }
  // Capacity: what the batch needs per (metal, depot). The guarded account enforces it at
  // commit; the pessimistic plan compares it with free space now to name the depot.
  std::map<std::pair<std::string, std::string>, int64_t> need;
  for (const Lot& l : lots) {
    std::optional<int64_t> sum = CheckedAdd(need[{l.metal, l.depot}], l.net_mass_g);
    if (!sum.has_value()) return InvalidField(field, "total mass overflows");
    need[{l.metal, l.depot}] = *sum;
  }
  if (!optimistic) {
    std::vector<std::string> cap_accounts;
    for (const auto& [key, mass] : need) {
      cap_accounts.push_back(CapacityAccount(key.first, key.second));
    }
    absl::StatusOr<std::map<std::string, int64_t>> free = ReadBalances(ledger, cap_accounts);
    if (!free.ok()) return free.status();
    for (const auto& [key, mass] : need) {
      int64_t available = (*free)[CapacityAccount(key.first, key.second)];
      auto it = freed.find(key);
      if (it != freed.end()) available += it->second;
      if (mass > available) {
        return Precondition(why::kDepotCapacity,
                            absl::StrCat("depot ", key.second, " has room for ", available,
                                         " g of ", key.first, "; the request needs ", mass, " g"));
      }
    }
  }
  for (size_t i = 0; i < lots.size(); ++i) {
    Lot& l = lots[i];
    l.status = LotStatus::kInStock;
    l.transit_to.clear();
    l.encumbrances.clear();
    l.order_id = order_id;
    l.released_to.clear();
    l.release_reference.clear();
    MoveMass(b, l.metal, ExternalAcquired(l.metal), false, StockAccount(l), true, l.net_mass_g);
    TakeCapacity(b, l.metal, l.depot, l.net_mass_g);
    b.Move(l.currency, CostAcquired(l), false, CostAccount(l), true, l.cost_minor);
    tx.writes.push_back(ledger::RecordWrite{std::move(lot_keys[i]), 0, EncodeLot(l), false});
  }
  return absl::OkStatus();
}

// Validates an acquisition request and fills in derived lot ids.
absl::StatusOr<std::vector<Lot>> PrepareLots(const Context& ctx, const AcquireRequest& request,
                                             const std::string& field) {
  if (request.lots.empty()) return InvalidField(field, "at least one lot");
  if (request.lots.size() > kMaxLotsPerAcquisition) {
    return InvalidField(field, absl::StrCat("at most ", kMaxLotsPerAcquisition, " lots"));
  }
  if (!request.order_id.empty()) {
    if (absl::Status s = CheckId(request.order_id, "order_id"); !s.ok()) return s;
  }
  std::vector<Lot> lots = request.lots;
  std::set<std::string> ids;
  for (size_t i = 0; i < lots.size(); ++i) {
    std::string p = absl::StrCat(field, "[", i, "]");
    if (lots[i].id.empty()) {
      lots[i].id = absl::StrCat(ctx.request_id, "-", i + 1);
      if (!CheckId(lots[i].id, "id").ok()) {
        return InvalidField(absl::StrCat(p, ".lot_id"),
                            "required when the request id cannot form a lot id");
      }
    }
    if (absl::Status s = CheckLotInput(lots[i], p, ctx.business_date); !s.ok()) return s;
    if (!ids.insert(lots[i].id).second) {
      return InvalidField(absl::StrCat(p, ".lot_id"), "appears twice in the request");
    }
  }
  return lots;
}

json AcquireRequestJson(const AcquireRequest& r) {
  json lots = json::array();
  for (const Lot& l : r.lots) lots.push_back(LotJson(l));
  return {{"lots", lots}, {"order_id", r.order_id}, {"memo", r.memo}};
}

// RequestFingerprint(kind, date, AcquireRequestJson(r)) without building the document: the
// same bytes, as nlohmann's dump writes them (object keys sorted; a lot as EncodeLot writes
// it). An acquisition of 1,000 lots would otherwise parse every lot back into a document.
std::string AcquireFingerprint(absl::string_view kind, absl::CivilDay date,
                               const AcquireRequest& r) {
  std::string text = absl::StrCat(R"({"date":)", json(FormatDate(date)).dump(), R"(,"kind":)",
                                  json(kind).dump(), R"(,"request":{"lots":[)");
  for (size_t i = 0; i < r.lots.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? "" : ",", EncodeLot(r.lots[i]));
  }
  absl::StrAppend(&text, R"(],"memo":)", json(r.memo).dump(), R"(,"order_id":)",
                  json(r.order_id).dump(), "}}");
  return domain::Fnv128Hex(text);
}

absl::Status CheckMovable(const Lot& l, const std::string& field) {
  switch (l.status) {
    case LotStatus::kInTransit:
      return Precondition(why::kLotInTransit,
                          absl::StrCat(field, ": lot ", l.id, " is in transit"));
    case LotStatus::kPledged:
      return Precondition(why::kLotPledged, absl::StrCat(field, ": lot ", l.id, " is pledged"));
    case LotStatus::kEarmarked:
      return Precondition(why::kLotEarmarked, absl::StrCat(field, ": lot ", l.id, " is earmarked"));
    case LotStatus::kReleased:
      return Precondition(why::kLotReleased, absl::StrCat(field, ": lot ", l.id, " was released"));
    case LotStatus::kInStock:
    case LotStatus::kUnspecified:
      break;
  }
  for (const Encumbrance& e : l.encumbrances) {
    return Precondition(e.kind == "earmark" ? why::kLotEarmarked : why::kLotPledged,
                        absl::StrCat(field, ": lot ", l.id, " is encumbered (", e.kind, ")"));
  }
  return absl::OkStatus();
}

// Lifts the earmark of auction `reference` from `lot` (in memory) so that the release may
// proceed. A lot not earmarked for that auction is refused: with its own state's reason
// (LOT_RELEASED, LOT_PLEDGED ...) if it has one, else LOT_NOT_EARMARKED.
absl::Status LiftEarmark(Lot& lot, const std::string& reference, const std::string& field) {
  auto earmark = std::find_if(
      lot.encumbrances.begin(), lot.encumbrances.end(),
      [&](const Encumbrance& e) { return e.kind == "earmark" && e.reference == reference; });
  if (lot.status != LotStatus::kEarmarked || earmark == lot.encumbrances.end()) {
    if (absl::Status s = CheckMovable(lot, field); !s.ok()) return s;
    return Precondition(why::kLotNotEarmarked,
                        absl::StrCat(field, ": lot ", lot.id, " is not earmarked for ", reference));
  }
  lot.encumbrances.erase(earmark);
  lot.status = LotStatus::kInStock;
  return absl::OkStatus();
}

// `lines_field` names the lines in the request ("lines", or "release_lines" in a rotation).
absl::Status CheckReleaseInput(const ReleaseRequest& r, const std::string& lines_field) {
  if (r.lines.empty()) return InvalidField(lines_field, "at least one line");
  if (r.lines.size() > kMaxLinesPerRelease) {
    return InvalidField(lines_field, absl::StrCat("at most ", kMaxLinesPerRelease, " lines"));
  }
  if (absl::Status s = CheckText(r.buyer, "buyer", true); !s.ok()) return s;
  if (absl::Status s = CheckText(r.reference, "reference", true); !s.ok()) return s;
  if (!r.order_id.empty()) {
    if (absl::Status s = CheckId(r.order_id, "order_id"); !s.ok()) return s;
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    std::string lp = absl::StrCat(lines_field, "[", i, "]");
    if (absl::Status s = CheckId(r.lines[i].lot_id, lp + ".lot_id"); !s.ok()) return s;
    if (r.lines[i].mass_g < 0) return InvalidField(lp + ".mass_g", "must not be negative");
    if (!ids.insert(r.lines[i].lot_id).second) {
      return InvalidField(lp + ".lot_id", "appears twice in the request");
    }
  }
  return absl::OkStatus();
}

// Adds a release to `b`/`tx`; returns the lots after it. `freed` collects capacity freed.
absl::StatusOr<ReleaseResult> PlanRelease(
    ledger::Ledger& ledger, const ReleaseRequest& r, const std::string& p, TxBuilder& b,
    ledger::Transaction& tx, std::map<std::pair<std::string, std::string>, int64_t>& freed) {
  ReleaseResult result;
  const std::string& lines_field = p;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    std::string lp = absl::StrCat(lines_field, "[", i, "]");
    absl::StatusOr<Loaded<Lot>> loaded = LoadLot(ledger, r.lines[i].lot_id);
    if (!loaded.ok()) return loaded.status();
    Lot lot = loaded->value;
    if (!r.earmark_reference.empty()) {
      if (absl::Status s = LiftEarmark(lot, r.earmark_reference, lp); !s.ok()) return s;
      if (r.lines[i].mass_g != 0 && r.lines[i].mass_g != lot.net_mass_g) {
        return InvalidField(lp + ".mass_g", "an auction lot is delivered whole");
      }
    }
    if (absl::Status s = CheckMovable(lot, lp); !s.ok()) return s;
    int64_t mass = r.lines[i].mass_g == 0 ? lot.net_mass_g : r.lines[i].mass_g;
    if (mass > lot.net_mass_g || mass == 0) {
      return Precondition(why::kInsufficientStock,
                          absl::StrCat(lp, ": lot ", lot.id, " holds ", lot.net_mass_g,
                                       " g; asked to release ", mass, " g"));
    }
    bool whole = mass == lot.net_mass_g;
    std::optional<int64_t> cost_out =
        whole ? lot.cost_minor : MulDiv(lot.cost_minor, mass, lot.net_mass_g);
    std::optional<int64_t> gross_out =
        whole ? lot.gross_mass_g : MulDiv(lot.gross_mass_g, mass, lot.net_mass_g);
    if (!cost_out.has_value() || !gross_out.has_value()) {
      return InvalidField(lp + ".mass_g", "overflows");
    }
    MoveMass(b, lot.metal, StockAccount(lot), true, ExternalReleased(lot.metal), false, mass);
    MoveMass(b, lot.metal, CapacitySource(lot.metal), false, CapacityAccount(lot.metal, lot.depot),
             true, mass);
    b.Move(lot.currency, CostAccount(lot), true, CostReleased(lot), false, *cost_out);
    freed[{lot.metal, lot.depot}] += mass;
    if (whole) {
      lot.status = LotStatus::kReleased;
      lot.released_to = r.buyer;
      lot.release_reference = r.reference;
    } else {
      lot.net_mass_g -= mass;
      lot.gross_mass_g -= *gross_out;
      lot.cost_minor -= *cost_out;
    }
    result.mass_g += mass;
    tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kLotPrefix, lot.id), loaded->version,
                                            EncodeLot(lot), false});
    result.lots.push_back(std::move(lot));
  }
  return result;
}

json ReleaseRequestJson(const ReleaseRequest& r) {
  json lines = json::array();
  for (const ReleaseLine& l : r.lines)
    lines.push_back({{"lot_id", l.lot_id}, {"mass_g", l.mass_g}});
  json out = {{"lines", lines},
              {"buyer", r.buyer},
              {"reference", r.reference},
              {"order_id", r.order_id},
              {"memo", r.memo}};
  // Only when set, so the fingerprints of ordinary releases stay as they were.
  if (!r.earmark_reference.empty()) out["earmark_reference"] = r.earmark_reference;
  return out;
}

json ReleaseResultJson(const ReleaseResult& r) {
  json lots = json::array();
  for (const Lot& l : r.lots) lots.push_back(LotJson(l));
  return {{"lots", lots}, {"mass_g", r.mass_g}};
}

absl::StatusOr<ReleaseResult> ReleaseResultFromJson(const json& j) {
  ReleaseResult r;
  r.mass_g = j.at("mass_g").get<int64_t>();
  for (const json& l : j.at("lots")) {
    absl::StatusOr<Lot> lot = LotFromJson(l);
    if (!lot.ok()) return lot.status();
    r.lots.push_back(*std::move(lot));
  }
  return r;
}

// Adds the order hook's contribution for `uses` (if any order is named).
absl::Status ApplyOrderHook(OrderHook* hook, const std::vector<OrderUse>& uses,
                            ledger::Transaction& tx) {
  if (uses.empty()) return absl::OkStatus();
  if (hook == nullptr) {
    return Precondition(why::kOrderUnsupported, "this server does not execute orders yet");
  }
  return hook->AddToTransaction(uses, tx);
}

// Adds the lot-mass hook's contribution for a posted count that changed `lot` (already
// updated) by `diff`, when the lot carries encumbrances.
absl::Status ApplyLotMassHook(LotMassHook* hook, const Lot& lot, int64_t diff,
                              absl::string_view count_id, ledger::Transaction& tx) {
  if (diff == 0 || lot.encumbrances.empty()) return absl::OkStatus();
  if (hook != nullptr) return hook->AddToTransaction(lot, diff, count_id, tx);
  for (const Encumbrance& e : lot.encumbrances) {
    if (e.kind == "pledge") {
      return Precondition(why::kLotPledged,
                          absl::StrCat("lot ", lot.id,
                                       " is pledged and this server cannot update the pledge"));
    }
  }
  return absl::OkStatus();
}

std::vector<OrderUse> AcquisitionUses(const std::vector<Lot>& lots, const std::string& order_id,
                                      absl::CivilDay date) {
  std::map<std::pair<std::string, std::string>, OrderUse> by_metal;
  if (order_id.empty()) return {};
  for (const Lot& l : lots) {
    OrderUse& u = by_metal[{l.metal, l.currency}];
    u.order_id = order_id;
    u.acquisition = true;
    u.metal = l.metal;
    u.currency = l.currency;
    u.business_date = date;
    u.mass_g += l.net_mass_g;
    u.cost_minor += l.cost_minor;
  }
  std::vector<OrderUse> out;
  for (auto& [k, u] : by_metal) out.push_back(u);
  return out;
}

std::vector<OrderUse> ReleaseUses(const ReleaseResult& r, const std::vector<ReleaseLine>& lines,
                                  const std::string& order_id, absl::CivilDay date) {
  if (order_id.empty()) return {};
  std::map<std::string, OrderUse> by_metal;
  for (size_t i = 0; i < r.lots.size(); ++i) {
    const Lot& l = r.lots[i];
    OrderUse& u = by_metal[l.metal];
    u.order_id = order_id;
    u.acquisition = false;
    u.metal = l.metal;
    u.business_date = date;
    u.mass_g += lines[i].mass_g == 0 ? l.net_mass_g : lines[i].mass_g;
  }
  std::vector<OrderUse> out;
  for (auto& [k, u] : by_metal) out.push_back(u);
  return out;
}

// Posts a stock-count difference for `lot` (changes the lot in place).
void ApplyCount(TxBuilder& b, Lot& lot, int64_t diff) {
  if (diff == 0) return;
  MoveMass(b, lot.metal, VarianceAccount(lot.metal, lot.depot), false, StockAccount(lot), true,
           diff);
  TakeCapacity(b, lot.metal, lot.depot, diff);
  lot.net_mass_g += diff;
  lot.gross_mass_g = std::max(lot.net_mass_g, lot.gross_mass_g + diff);
}

json CountJson(const StockCount& c) { return json::parse(EncodeStockCount(c)); }

std::vector<Grade> G(std::initializer_list<std::pair<const char*, const char*>> grades) {
  std::vector<Grade> out;
  for (const auto& [code, standard] : grades) out.push_back(Grade{code, standard});
  return out;
}

}  // namespace

// Standards are the Chinese national standards commonly cited for each product.
std::vector<Metal> SeedMetals() {
  return {
      {"CU", "铜", "Copper", G({{"Cu-CATH-1", "GB/T 467"}, {"Cu-CATH-2", "GB/T 467"}})},
      {"AL", "铝", "Aluminium", G({{"Al99.70", "GB/T 1196"}, {"Al99.85", "GB/T 1196"}})},
      {"ZN", "锌", "Zinc", G({{"Zn99.995", "GB/T 470"}, {"Zn99.99", "GB/T 470"}})},
      {"PB", "铅", "Lead", G({{"Pb99.994", "GB/T 469"}, {"Pb99.990", "GB/T 469"}})},
      {"NI", "镍", "Nickel", G({{"Ni9996", "GB/T 6516"}, {"Ni9990", "GB/T 6516"}})},
      {"SN", "锡", "Tin", G({{"Sn99.90", "GB/T 728"}, {"Sn99.95", "GB/T 728"}})},
      {"CO", "钴", "Cobalt", G({{"Co9998", "GB/T 6517"}, {"Co9995", "GB/T 6517"}})},
      {"W", "钨", "Tungsten", G({{"APT-0", "GB/T 10116"}, {"W-powder-FW-1", "GB/T 3458"}})},
      {"SB", "锑", "Antimony", G({{"Sb99.65", "GB/T 1599"}, {"Sb99.85", "GB/T 1599"}})},
      {"REO", "稀土氧化物", "Rare-earth oxides",
       G({{"Nd2O3-99.5", "GB/T 5240"},
          {"La2O3-99.99", "GB/T 4154"},
          {"PrNd-oxide", "GB/T 31964"}})},
  };
}

Inventory::Inventory(ledger::Ledger& ledger, InventoryOptions options)
    : ledger_(ledger),
      options_(options),
      catalog_(std::make_unique<CatalogCache>(ledger)),
      holdings_cache_(std::make_unique<HoldingsCache>()) {}

Inventory::~Inventory() = default;

absl::StatusOr<std::unique_ptr<Inventory>> Inventory::Create(ledger::Ledger& ledger,
                                                             InventoryOptions options) {
  if (options.stock_count_tolerance_bp < 0) {
    return absl::InvalidArgumentError("stock_count_tolerance_bp must not be negative");
  }
  absl::StatusOr<ledger::Record> seeded = ReadRecord(ledger, std::string(kSeededKey));
  if (!seeded.ok()) return seeded.status();
  if (seeded->version == 0) {
    ledger::Transaction tx;
    tx.request_id = "inventory/seed-catalog-v1";
    tx.kind = "inventory.seed_catalog";
    tx.principal = std::string(kSystemPrincipal);
    tx.business_date = ledger::kMinBusinessDate;
    for (const Metal& m : SeedMetals()) {
      tx.writes.push_back(
          ledger::RecordWrite{absl::StrCat(kMetalPrefix, m.code), 0, EncodeMetal(m), false});
    }
    tx.writes.push_back(ledger::RecordWrite{std::string(kSeededKey), 0, "{}", false});
    absl::StatusOr<ledger::Receipt> r = ledger.Commit(tx);
    // Another process may have seeded concurrently: a conflict means the catalog exists.
    if (!r.ok() && r.status().code() != absl::StatusCode::kAborted) return r.status();
  }
  return absl::WrapUnique(new Inventory(ledger, options));
}

// ---- Catalog ----

absl::StatusOr<Mutation<Metal>> Inventory::AddMetal(const Context& ctx, const Metal& metal) {
  if (absl::Status s = CheckMetalCode(metal.code, "metal.code"); !s.ok()) return s;
  if (absl::Status s = CheckText(metal.name_zh, "metal.name_zh", true); !s.ok()) return s;
  if (absl::Status s = CheckText(metal.name_en, "metal.name_en", true); !s.ok()) return s;
  std::set<std::string> codes;
  for (size_t i = 0; i < metal.grades.size(); ++i) {
    std::string p = absl::StrCat("metal.grades[", i, "]");
    if (absl::Status s = CheckText(metal.grades[i].code, p + ".code", true); !s.ok()) return s;
    if (absl::Status s = CheckText(metal.grades[i].standard, p + ".standard", true); !s.ok())
      return s;
    if (!codes.insert(metal.grades[i].code).second) {
      return InvalidField(p + ".code", "appears twice");
    }
  }
  json request = json::parse(EncodeMetal(metal));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::Record> r = ReadRecord(ledger_, absl::StrCat(kMetalPrefix, metal.code));
    if (!r.ok()) return r.status();
    if (r->version != 0) {
      return Precondition(why::kMetalExists, absl::StrCat("metal ", metal.code, " exists"));
    }
    Plan plan;
    plan.tx.writes.push_back(
        ledger::RecordWrite{absl::StrCat(kMetalPrefix, metal.code), 0, EncodeMetal(metal), false});
    plan.response = request;
    return plan;
  };
  return Convert<Metal>(Mutate(ledger_, ctx, "inventory.add_metal", request, planner),
                        [](const json& j) { return DecodeMetal(j.dump()); });
}

absl::StatusOr<Mutation<Metal>> Inventory::AddGrade(const Context& ctx, absl::string_view code,
                                                    const Grade& grade) {
  if (absl::Status s = CheckMetalCode(code, "metal"); !s.ok()) return s;
  if (absl::Status s = CheckText(grade.code, "grade.code", true); !s.ok()) return s;
  if (absl::Status s = CheckText(grade.standard, "grade.standard", true); !s.ok()) return s;
  json request = {{"metal", code}, {"code", grade.code}, {"standard", grade.standard}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Metal>> m = LoadMetal(ledger_, code);
    if (!m.ok()) return m.status();
    for (const Grade& g : m->value.grades) {
      if (g.code == grade.code) {
        return Precondition(why::kGradeExists, absl::StrCat(code, " already has grade ", g.code));
      }
    }
    m->value.grades.push_back(grade);
    Plan plan;
    plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kMetalPrefix, code), m->version,
                                                 EncodeMetal(m->value), false});
    plan.response = json::parse(EncodeMetal(m->value));
    return plan;
  };
  return Convert<Metal>(Mutate(ledger_, ctx, "inventory.add_grade", request, planner),
                        [](const json& j) { return DecodeMetal(j.dump()); });
}

absl::StatusOr<Metal> Inventory::GetMetal(absl::string_view code) {
  if (absl::Status s = CheckMetalCode(code, "code"); !s.ok()) return s;
  absl::StatusOr<Loaded<Metal>> m = LoadMetal(ledger_, code);
  if (!m.ok()) return m.status();
  return m->value;
}

absl::StatusOr<std::vector<Metal>> Inventory::ListMetals() {
  absl::StatusOr<ledger::RecordPage> records =
      domain::ScanAll(ledger_, kMetalPrefix, /*max_records=*/10000);
  if (!records.ok()) return records.status();
  std::vector<Metal> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<Metal> m = DecodeMetal(r.value);
    if (!m.ok()) return m.status();
    out.push_back(*std::move(m));
  }
  return out;
}

// ---- Depots ----

namespace {
absl::Status CheckDepotInput(const Depot& d) {
  if (absl::Status s = CheckId(d.id, "depot.depot_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(d.name, "depot.name", true); !s.ok()) return s;
  if (absl::Status s = CheckText(d.province, "depot.province", true); !s.ok()) return s;
  if (absl::Status s = CheckText(d.operator_name, "depot.operator_name", true); !s.ok()) return s;
  if (d.kind == DepotKind::kUnspecified) return InvalidField("depot.kind", "required");
  for (const auto& [metal, cap] : d.capacity_g) {
    std::string f = absl::StrCat("depot.capacity_g[", metal, "]");
    if (absl::Status s = CheckMetalCode(metal, f); !s.ok()) return s;
    if (cap < 0) return InvalidField(f, "must not be negative");
  }
  return absl::OkStatus();
}

// Postings that move the depot's free space from `old_cap` to `new_cap`; checks that metal
// already stored still fits.
absl::Status PlanCapacity(ledger::Ledger& ledger, const Depot& old_depot, const Depot& depot,
                          TxBuilder& b) {
  std::set<std::string> metals;
  for (const auto& [m, c] : old_depot.capacity_g) metals.insert(m);
  for (const auto& [m, c] : depot.capacity_g) metals.insert(m);
  for (const std::string& m : metals) {
    if (depot.capacity_g.contains(m) && !old_depot.capacity_g.contains(m)) {
      absl::StatusOr<Loaded<Metal>> metal = LoadMetal(ledger, m);
      if (!metal.ok()) return metal.status();
    }
    int64_t old_cap = old_depot.capacity_g.contains(m) ? old_depot.capacity_g.at(m) : 0;
    int64_t new_cap = depot.capacity_g.contains(m) ? depot.capacity_g.at(m) : 0;
    int64_t delta = new_cap - old_cap;
    if (delta == 0) continue;
    if (delta < 0) {
      absl::StatusOr<std::map<std::string, int64_t>> free =
          ReadBalances(ledger, {CapacityAccount(m, depot.id)});
      if (!free.ok()) return free.status();
      if ((*free)[CapacityAccount(m, depot.id)] + delta < 0) {
        return Precondition(why::kDepotCapacity, absl::StrCat("depot ", depot.id, " stores more ",
                                                              m, " than ", new_cap, " g"));
      }
    }
    TakeCapacity(b, m, depot.id, -delta);
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<Mutation<Depot>> Inventory::CreateDepot(const Context& ctx, const Depot& depot) {
  if (absl::Status s = CheckDepotInput(depot); !s.ok()) return s;
  json request = json::parse(EncodeDepot(depot));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::Record> r = ReadRecord(ledger_, absl::StrCat(kDepotPrefix, depot.id));
    if (!r.ok()) return r.status();
    if (r->version != 0) {
      return Precondition(why::kDepotExists, absl::StrCat("depot ", depot.id, " exists"));
    }
    Plan plan;
    TxBuilder b;
    if (absl::Status s = PlanCapacity(ledger_, Depot{}, depot, b); !s.ok()) return s;
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(
        ledger::RecordWrite{absl::StrCat(kDepotPrefix, depot.id), 0, EncodeDepot(depot), false});
    plan.response = request;
    return plan;
  };
  return Convert<Depot>(Mutate(ledger_, ctx, "inventory.create_depot", request, planner),
                        [](const json& j) { return DecodeDepot(j.dump()); });
}

absl::StatusOr<Mutation<Depot>> Inventory::UpdateDepot(const Context& ctx, const Depot& depot) {
  if (absl::Status s = CheckDepotInput(depot); !s.ok()) return s;
  json request = json::parse(EncodeDepot(depot));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Depot>> old = LoadDepot(ledger_, depot.id);
    if (!old.ok()) return old.status();
    Plan plan;
    TxBuilder b;
    if (absl::Status s = PlanCapacity(ledger_, old->value, depot, b); !s.ok()) return s;
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kDepotPrefix, depot.id), old->version,
                                                 EncodeDepot(depot), false});
    plan.response = request;
    return plan;
  };
  return Convert<Depot>(Mutate(ledger_, ctx, "inventory.update_depot", request, planner),
                        [](const json& j) { return DecodeDepot(j.dump()); });
}

absl::StatusOr<Depot> Inventory::GetDepot(absl::string_view id) {
  if (absl::Status s = CheckId(id, "depot_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Depot>> d = LoadDepot(ledger_, id);
  if (!d.ok()) return d.status();
  return d->value;
}

absl::StatusOr<std::vector<Depot>> Inventory::ListDepots() {
  absl::StatusOr<ledger::RecordPage> records =
      domain::ScanAll(ledger_, kDepotPrefix, /*max_records=*/100000);
  if (!records.ok()) return records.status();
  std::vector<Depot> out;
  for (const ledger::Record& r : records->records) {
    absl::StatusOr<Depot> d = DecodeDepot(r.value);
    if (!d.ok()) return d.status();
    out.push_back(*std::move(d));
  }
  return out;
}

absl::StatusOr<int64_t> Inventory::FreeCapacity(absl::string_view depot, absl::string_view metal) {
  absl::StatusOr<Loaded<Depot>> d = LoadDepot(ledger_, depot);
  if (!d.ok()) return d.status();
  absl::StatusOr<std::map<std::string, int64_t>> free =
      ReadBalances(ledger_, {CapacityAccount(metal, depot)});
  if (!free.ok()) return free.status();
  return (*free)[CapacityAccount(metal, depot)];
}

// ---- Lots ----

absl::StatusOr<Lot> Inventory::GetLot(absl::string_view id) {
  if (absl::Status s = CheckId(id, "lot_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Lot>> l = LoadLot(ledger_, id);
  if (!l.ok()) return l.status();
  return l->value;
}

absl::StatusOr<LotPage> Inventory::ListLots(const LotFilter& filter, size_t page_size,
                                            const std::string& page_token) {
  if (absl::Status s = domain::CheckPageSize(page_size); !s.ok()) return s;
  std::map<std::string, std::string> province_of;
  if (!filter.province.empty()) {
    absl::StatusOr<std::vector<Depot>> depots = ListDepots();
    if (!depots.ok()) return depots.status();
    for (const Depot& d : *depots) province_of[d.id] = d.province;
  }
  auto matches = [&](const Lot& l) {
    return (filter.metal.empty() || l.metal == filter.metal) &&
           (filter.depot.empty() || l.depot == filter.depot) &&
           (filter.owner.empty() || l.owner == filter.owner) &&
           (filter.brand.empty() || l.brand == filter.brand) &&
           (filter.reserve_class == ReserveClass::kUnspecified ||
            l.reserve_class == filter.reserve_class) &&
           (filter.status == LotStatus::kUnspecified || l.status == filter.status) &&
           (filter.year_produced == 0 || l.year_produced == filter.year_produced) &&
           (filter.province.empty() || province_of[l.depot] == filter.province);
  };
  LotPage out;
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, kLotPrefix, page_size, page_token,
                           [&](const ledger::Record& r) -> absl::StatusOr<bool> {
                             absl::StatusOr<Lot> l = DecodeLot(r.value);
                             if (!l.ok()) return l.status();
                             if (!matches(*l)) return false;
                             out.lots.push_back(*std::move(l));
                             return true;
                           });
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

absl::StatusOr<std::vector<LotEvent>> Inventory::LotHistory(absl::string_view id) {
  if (absl::Status s = CheckId(id, "lot_id"); !s.ok()) return s;
  std::string key = absl::StrCat(kLotPrefix, id);
  absl::StatusOr<std::vector<ledger::Seq>> seqs = ledger_.RecordHistory(key, {});
  if (!seqs.ok()) return seqs.status();
  if (seqs->empty()) return NotFound(why::kUnknownLot, absl::StrCat("no lot ", id));
  std::vector<LotEvent> out;
  for (ledger::Seq seq : *seqs) {
    absl::StatusOr<std::vector<ledger::JournalEntry>> entries = ledger_.ReadJournal(seq, 1);
    if (!entries.ok()) return entries.status();
    if (entries->empty())
      return absl::InternalError(absl::StrCat("journal entry ", seq, " missing"));
    const ledger::JournalEntry& e = entries->front();
    for (const ledger::RecordWrite& w : e.tx.writes) {
      if (w.key != key || w.erase) continue;
      absl::StatusOr<Lot> lot = DecodeLot(w.value);
      if (!lot.ok()) return lot.status();
      out.push_back(
          LotEvent{seq, e.tx.kind, e.tx.principal, e.tx.business_date, e.tx.memo, *std::move(lot)});
    }
  }
  return out;
}

// ---- Movements ----

absl::StatusOr<Mutation<std::vector<std::string>>> Inventory::Acquire(
    const Context& ctx, const AcquireRequest& request) {
  return domain::Await<absl::StatusOr<Mutation<std::vector<std::string>>>>(
      [&](AcquireDone done) { AcquireAsync(ctx, request, std::move(done)); });
}

void Inventory::AcquireAsync(const Context& ctx, AcquireRequest request, AcquireDone done) {
  absl::StatusOr<std::vector<Lot>> prepared = PrepareLots(ctx, request, "lots");
  if (!prepared.ok()) return done(prepared.status());
  if (absl::Status s = CheckText(request.memo, "memo", false); !s.ok()) return done(s);
  constexpr absl::string_view kKind = "inventory.acquire";
  std::string fingerprint = AcquireFingerprint(kKind, ctx.business_date, request);
  // The planners outlive this call (a retry plans on a ledger thread), so they share what
  // they read.
  struct Input {
    std::vector<Lot> lots;
    std::string order_id;
    std::string memo;
  };
  auto in = std::make_shared<const Input>(
      Input{*std::move(prepared), std::move(request.order_id), std::move(request.memo)});
  auto plan_with = [this, in, business_date = ctx.business_date](
                       bool optimistic) -> absl::StatusOr<Plan> {
    Plan plan;
    TxBuilder b;
    if (absl::Status s = PlanAcquisition(ledger_, *catalog_, in->lots, "lots", in->order_id, {},
                                         optimistic, b, plan.tx);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    if (absl::Status s =
            ApplyOrderHook(options_.order_hook,
                           AcquisitionUses(in->lots, in->order_id, business_date), plan.tx);
        !s.ok()) {
      return s;
    }
    plan.tx.memo = in->memo;
    json ids = json::array();
    for (const Lot& l : in->lots) ids.push_back(l.id);
    plan.response = {{"lot_ids", ids}};
    return plan;
  };
  domain::MutateAsync(
      ledger_, kMutations, ctx, kKind, std::move(fingerprint),
      [plan_with] { return plan_with(false); }, [plan_with] { return plan_with(true); },
      [done = std::move(done)](absl::StatusOr<Mutation<json>> m) {
        done(Convert<std::vector<std::string>>(
            std::move(m), [](const json& j) -> absl::StatusOr<std::vector<std::string>> {
              return j.at("lot_ids").get<std::vector<std::string>>();
            }));
      });
}

absl::StatusOr<Mutation<Lot>> Inventory::Dispatch(const Context& ctx, absl::string_view lot_id,
                                                  absl::string_view to_depot) {
  if (absl::Status s = CheckId(lot_id, "lot_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(to_depot, "to_depot_id"); !s.ok()) return s;
  json req = {{"lot_id", lot_id}, {"to_depot", to_depot}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Lot>> loaded = LoadLot(ledger_, lot_id);
    if (!loaded.ok()) return loaded.status();
    Lot lot = loaded->value;
    if (absl::Status s = CheckMovable(lot, "lot_id"); !s.ok()) return s;
    absl::StatusOr<Loaded<Depot>> dest = LoadDepot(ledger_, to_depot);
    if (!dest.ok()) return dest.status();
    if (lot.depot == to_depot) {
      return Precondition(why::kSameDepot,
                          absl::StrCat("lot ", lot.id, " is already at ", to_depot));
    }
    std::string cap = CapacityAccount(lot.metal, to_depot);
    absl::StatusOr<std::map<std::string, int64_t>> free = ReadBalances(ledger_, {cap});
    if (!free.ok()) return free.status();
    if ((*free)[cap] < lot.net_mass_g) {
      return Precondition(
          why::kDepotCapacity,
          absl::StrCat("depot ", to_depot, " has room for ", (*free)[cap], " g of ", lot.metal,
                       "; lot ", lot.id, " needs ", lot.net_mass_g, " g"));
    }
    Plan plan;
    TxBuilder b;
    MoveMass(b, lot.metal, StockAccount(lot), true, TransitAccount(lot), true, lot.net_mass_g);
    b.Move(lot.currency, CostAccount(lot), true, CostTransitAccount(lot), true, lot.cost_minor);
    TakeCapacity(b, lot.metal, lot.depot, -lot.net_mass_g);
    TakeCapacity(b, lot.metal, to_depot, lot.net_mass_g);
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    lot.status = LotStatus::kInTransit;
    lot.transit_to = std::string(to_depot);
    plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kLotPrefix, lot.id), loaded->version,
                                                 EncodeLot(lot), false});
    plan.response = LotJson(lot);
    return plan;
  };
  return Convert<Lot>(Mutate(ledger_, ctx, "inventory.dispatch", req, planner), LotFromJson);
}

absl::StatusOr<Mutation<Lot>> Inventory::Receive(const Context& ctx, absl::string_view lot_id,
                                                 absl::string_view location) {
  if (absl::Status s = CheckId(lot_id, "lot_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(location, "location", false); !s.ok()) return s;
  json req = {{"lot_id", lot_id}, {"location", location}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Lot>> loaded = LoadLot(ledger_, lot_id);
    if (!loaded.ok()) return loaded.status();
    Lot lot = loaded->value;
    if (lot.status != LotStatus::kInTransit) {
      return Precondition(why::kLotNotInTransit,
                          absl::StrCat("lot ", lot.id, " is not in transit"));
    }
    Plan plan;
    TxBuilder b;
    Lot arrived = lot;
    arrived.depot = lot.transit_to;
    arrived.transit_to.clear();
    arrived.status = LotStatus::kInStock;
    arrived.location = std::string(location);
    MoveMass(b, lot.metal, TransitAccount(lot), true, StockAccount(arrived), true, lot.net_mass_g);
    b.Move(lot.currency, CostTransitAccount(lot), true, CostAccount(arrived), true, lot.cost_minor);
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kLotPrefix, lot.id), loaded->version,
                                                 EncodeLot(arrived), false});
    plan.response = LotJson(arrived);
    return plan;
  };
  return Convert<Lot>(Mutate(ledger_, ctx, "inventory.receive", req, planner), LotFromJson);
}

absl::StatusOr<Mutation<ReleaseResult>> Inventory::Release(const Context& ctx,
                                                           const ReleaseRequest& request) {
  if (absl::Status s = CheckReleaseInput(request, "lines"); !s.ok()) return s;
  if (absl::Status s = CheckText(request.memo, "memo", false); !s.ok()) return s;
  json req = ReleaseRequestJson(request);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    Plan plan;
    TxBuilder b;
    std::map<std::pair<std::string, std::string>, int64_t> freed;
    absl::StatusOr<ReleaseResult> result =
        PlanRelease(ledger_, request, "lines", b, plan.tx, freed);
    if (!result.ok()) return result.status();
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    if (absl::Status s = ApplyOrderHook(
            options_.order_hook,
            ReleaseUses(*result, request.lines, request.order_id, ctx.business_date), plan.tx);
        !s.ok()) {
      return s;
    }
    plan.tx.memo = request.memo;
    plan.response = ReleaseResultJson(*result);
    return plan;
  };
  return Convert<ReleaseResult>(Mutate(ledger_, ctx, "inventory.release", req, planner),
                                ReleaseResultFromJson);
}

absl::StatusOr<Mutation<RotateResult>> Inventory::Rotate(const Context& ctx,
                                                         const RotateRequest& request) {
  if (absl::Status s = CheckReleaseInput(request.release, "release_lines"); !s.ok()) return s;
  absl::StatusOr<std::vector<Lot>> lots = PrepareLots(ctx, request.acquire, "acquire_lots");
  if (!lots.ok()) return lots.status();
  json req = {{"release", ReleaseRequestJson(request.release)},
              {"acquire", AcquireRequestJson(request.acquire)}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    Plan plan;
    TxBuilder b;
    std::map<std::pair<std::string, std::string>, int64_t> freed;
    absl::StatusOr<ReleaseResult> released =
        PlanRelease(ledger_, request.release, "release_lines", b, plan.tx, freed);
    if (!released.ok()) return released.status();
    if (absl::Status s = PlanAcquisition(ledger_, *catalog_, *lots, "acquire_lots",
                                         request.acquire.order_id, freed, /*optimistic=*/false, b,
                                         plan.tx);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
    std::vector<OrderUse> uses =
        ReleaseUses(*released, request.release.lines, request.release.order_id, ctx.business_date);
    for (OrderUse& u : AcquisitionUses(*lots, request.acquire.order_id, ctx.business_date)) {
      uses.push_back(u);
    }
    if (absl::Status s = ApplyOrderHook(options_.order_hook, uses, plan.tx); !s.ok()) return s;
    plan.tx.memo = request.release.memo;
    json ids = json::array();
    for (const Lot& l : *lots) ids.push_back(l.id);
    plan.response = {{"released", ReleaseResultJson(*released)}, {"acquired", ids}};
    return plan;
  };
  return Convert<RotateResult>(
      Mutate(ledger_, ctx, "inventory.rotate", req, planner),
      [](const json& j) -> absl::StatusOr<RotateResult> {
        RotateResult r;
        absl::StatusOr<ReleaseResult> released = ReleaseResultFromJson(j.at("released"));
        if (!released.ok()) return released.status();
        r.released = *std::move(released);
        r.acquired_lot_ids = j.at("acquired").get<std::vector<std::string>>();
        return r;
      });
}

absl::StatusOr<Mutation<StockCount>> Inventory::RecordStockCount(const Context& ctx,
                                                                 const StockCountRequest& request) {
  if (absl::Status s = CheckId(request.lot_id, "lot_id"); !s.ok()) return s;
  if (request.counted_mass_g < 0) return InvalidField("counted_mass_g", "must not be negative");
  if (absl::Status s = CheckText(request.reason, "reason", true); !s.ok()) return s;
  if (!CheckId(ctx.request_id, "request_id").ok()) {
    return InvalidField("request_id",
                        "a stock count's request id names the count: use . _ - : "
                        "letters and digits, at most 64");
  }
  json req = {{"lot_id", request.lot_id},
              {"counted_mass_g", request.counted_mass_g},
              {"reason", request.reason}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Lot>> loaded = LoadLot(ledger_, request.lot_id);
    if (!loaded.ok()) return loaded.status();
    Lot lot = loaded->value;
    if (lot.status == LotStatus::kInTransit) {
      return Precondition(why::kLotInTransit, absl::StrCat("lot ", lot.id, " is in transit"));
    }
    if (lot.status == LotStatus::kReleased) {
      return Precondition(why::kLotReleased, absl::StrCat("lot ", lot.id, " was released"));
    }
    StockCount count;
    count.id = ctx.request_id;
    count.lot_id = lot.id;
    count.metal = lot.metal;
    count.depot = lot.depot;
    count.book_mass_g = lot.net_mass_g;
    count.counted_mass_g = request.counted_mass_g;
    count.difference_g = request.counted_mass_g - lot.net_mass_g;
    count.reason = request.reason;
    count.counter = ctx.principal;
    count.lot_version = loaded->version;
    count.business_date = ctx.business_date;
    // Allowed difference: tolerance_bp of the book mass (exact.h's one rounding rule).
    std::optional<int64_t> allowed =
        MulDiv(count.book_mass_g, options_.stock_count_tolerance_bp, 10'000);
    int64_t magnitude = count.difference_g < 0 ? -count.difference_g : count.difference_g;
    Plan plan;
    if (!allowed.has_value() || magnitude > *allowed) {
      count.status = CountStatus::kPending;
    } else {
      count.status = CountStatus::kPosted;
      TxBuilder b;
      ApplyCount(b, lot, count.difference_g);
      if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
      if (absl::Status s = ApplyLotMassHook(options_.lot_mass_hook, lot, count.difference_g,
                                            count.id, plan.tx);
          !s.ok()) {
        return s;
      }
      if (count.difference_g != 0) {
        plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kLotPrefix, lot.id),
                                                     loaded->version, EncodeLot(lot), false});
      } else {
        plan.tx.checks.push_back(
            ledger::RecordCheck{absl::StrCat(kLotPrefix, lot.id), loaded->version});
      }
    }
    plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kCountPrefix, count.id), 0,
                                                 EncodeStockCount(count), false});
    plan.tx.memo = request.reason;
    plan.response = CountJson(count);
    return plan;
  };
  return Convert<StockCount>(Mutate(ledger_, ctx, "inventory.stock_count", req, planner),
                             [](const json& j) { return DecodeStockCount(j.dump()); });
}

absl::StatusOr<Mutation<StockCount>> Inventory::DecideStockCount(const Context& ctx,
                                                                 absl::string_view count_id,
                                                                 bool approve) {
  if (absl::Status s = CheckId(count_id, "count_id"); !s.ok()) return s;
  json req = {{"count_id", count_id}, {"approve", approve}};
  auto planner = [&]() -> absl::StatusOr<Plan> {
    std::string key = absl::StrCat(kCountPrefix, count_id);
    absl::StatusOr<ledger::Record> r = ReadRecord(ledger_, key);
    if (!r.ok()) return r.status();
    if (r->version == 0) {
      return NotFound(why::kUnknownStockCount, absl::StrCat("no stock count ", count_id));
    }
    absl::StatusOr<StockCount> count = DecodeStockCount(r->value);
    if (!count.ok()) return count.status();
    if (count->status != CountStatus::kPending) {
      return Precondition(why::kCountNotPending, absl::StrCat("stock count ", count_id, " is ",
                                                              CountStatusName(count->status)));
    }
    if (count->counter == ctx.principal) {
      return Rejection(absl::StatusCode::kPermissionDenied, why::kSelfApproval,
                       "the counter cannot decide their own count");
    }
    absl::StatusOr<Loaded<Lot>> loaded = LoadLot(ledger_, count->lot_id);
    if (!loaded.ok()) return loaded.status();
    Plan plan;
    count->approver = ctx.principal;
    if (approve) {
      if (loaded->version != count->lot_version) {
        return Precondition(why::kLotChangedSinceCount,
                            absl::StrCat("lot ", count->lot_id, " changed since it was counted"));
      }
      Lot lot = loaded->value;
      TxBuilder b;
      ApplyCount(b, lot, count->difference_g);
      if (absl::Status s = b.Finish(plan.tx); !s.ok()) return s;
      if (absl::Status s = ApplyLotMassHook(options_.lot_mass_hook, lot, count->difference_g,
                                            count->id, plan.tx);
          !s.ok()) {
        return s;
      }
      plan.tx.writes.push_back(ledger::RecordWrite{absl::StrCat(kLotPrefix, lot.id),
                                                   loaded->version, EncodeLot(lot), false});
      count->status = CountStatus::kPosted;
    } else {
      count->status = CountStatus::kRejected;
    }
    plan.tx.writes.push_back(ledger::RecordWrite{key, r->version, EncodeStockCount(*count), false});
    plan.response = CountJson(*count);
    return plan;
  };
  return Convert<StockCount>(Mutate(ledger_, ctx, "inventory.decide_stock_count", req, planner),
                             [](const json& j) { return DecodeStockCount(j.dump()); });
}

absl::StatusOr<StockCount> Inventory::GetStockCount(absl::string_view id) {
  if (absl::Status s = CheckId(id, "count_id"); !s.ok()) return s;
  absl::StatusOr<ledger::Record> r = ReadRecord(ledger_, absl::StrCat(kCountPrefix, id));
  if (!r.ok()) return r.status();
  if (r->version == 0)
    return NotFound(why::kUnknownStockCount, absl::StrCat("no stock count ", id));
  return DecodeStockCount(r->value);
}

// ---- Queries ----

namespace {

// The parts of a holdings account id; views into the id.
struct AccountParts {
  absl::string_view currency, metal, depot, reserve_class, owner;
};

// Parses "stock/M/D/C/O", "transit/M/C/O", "cost/CUR/M/D/C/O", "cost-transit/CUR/M/C/O".
std::optional<AccountParts> ParseAccount(absl::string_view id) {
  constexpr size_t kMaxParts = 6;
  absl::string_view p[kMaxParts + 1];
  size_t n = 0;
  for (absl::string_view part : absl::StrSplit(id, '/')) {
    if (n == kMaxParts + 1) return std::nullopt;
    p[n++] = part;
  }
  if (p[0] == "stock" && n == 5) return AccountParts{"", p[1], p[2], p[3], p[4]};
  if (p[0] == "transit" && n == 4) return AccountParts{"", p[1], kInTransitDepot, p[2], p[3]};
  if (p[0] == "cost" && n == 6) return AccountParts{p[1], p[2], p[3], p[4], p[5]};
  if (p[0] == "cost-transit" && n == 5) {
    return AccountParts{p[1], p[2], kInTransitDepot, p[3], p[4]};
  }
  return std::nullopt;
}

// Which group an account falls in under a query's group-by. A group's key is its fields
// (metal, depot, province, class, owner; empty when not grouped by) joined by '\0', so keys
// sort as the fields do and a map lookup costs no allocation per account.
class Grouping {
 public:
  Grouping(const std::vector<GroupKey>& group_by,
           const absl::flat_hash_map<std::string, std::string>& province_of)
      : province_of_(province_of) {
    for (GroupKey k : group_by) by_[static_cast<size_t>(k)] = true;
  }

  // A group's fields in row order; keys sort as these do (no field holds a '\0').
  using Fields = std::array<absl::string_view, 5>;

  // The fields of the group of `a`.
  Fields FieldsOf(const AccountParts& a) const {
    absl::string_view province;
    if (by(GroupKey::kProvince)) {
      auto it = province_of_.find(a.depot);
      if (it != province_of_.end()) province = it->second;
    }
    return {a.metal, by(GroupKey::kDepot) ? a.depot : "", province,
            by(GroupKey::kClass) ? a.reserve_class : "", by(GroupKey::kOwner) ? a.owner : ""};
  }

  static Fields FieldsOfRow(const HoldingRow& h) {
    return {h.metal, h.depot, h.province, h.reserve_class, h.owner};
  }

  // Writes the key of the group of `a` into `key`.
  void KeyOf(const AccountParts& a, std::string& key) const {
    const Fields f = FieldsOf(a);
    key.clear();
    absl::StrAppend(&key, f[0], kSep, f[1], kSep, f[2], kSep, f[3], kSep, f[4]);
  }

  static HoldingRow RowOf(absl::string_view key) {
    std::vector<std::string> f = absl::StrSplit(key, kSep);
    HoldingRow row;
    row.metal = f[0];
    row.depot = f[1];
    row.province = f[2];
    row.reserve_class = f[3];
    row.owner = f[4];
    return row;
  }

  static std::string KeyOfRow(const HoldingRow& h) {
    return absl::StrCat(h.metal, kSep, h.depot, kSep, h.province, kSep, h.reserve_class, kSep,
                        h.owner);
  }

 private:
  static constexpr absl::string_view kSep{"\0", 1};
  bool by(GroupKey k) const { return by_[static_cast<size_t>(k)]; }

  bool by_[5] = {};
  const absl::flat_hash_map<std::string, std::string>& province_of_;
};

// The cache key of a holdings query: what it groups by (in any order), its metal, its date.
std::string HoldingsQueryKey(const HoldingsQuery& q) {
  bool by[5] = {};
  for (GroupKey k : q.group_by) by[static_cast<size_t>(k)] = true;
  std::string key;
  for (bool b : by) key.push_back(b ? '1' : '0');
  absl::StrAppend(&key, "|", q.metal, "|", q.as_of.has_value() ? FormatDate(*q.as_of) : "now");
  return key;
}

absl::Status CheckQuery(const HoldingsQuery& q) {
  if (!q.metal.empty()) {
    if (absl::Status s = CheckMetalCode(q.metal, "metal"); !s.ok()) return s;
  }
  if (q.as_of.has_value()) return CheckDate(*q.as_of, "as_of_date");
  return absl::OkStatus();
}

// Reads balances under `prefixes` at one sequence number, as of `as_of` if given.
absl::StatusOr<std::vector<ledger::Balance>> ReadAggregateBalances(
    ledger::Ledger& ledger, const std::vector<std::string>& prefixes,
    std::optional<absl::CivilDay> as_of, ledger::Seq& as_of_seq) {
  ledger::ReadOptions options;
  std::vector<ledger::Balance> balances;
  for (const std::string& prefix : prefixes) {
    absl::Status s =
        domain::ScanAllBalances(ledger, prefix, kMaxHoldingAccounts, options, balances);
    if (!s.ok()) return s;
  }
  as_of_seq = options.at_seq;
  if (!as_of.has_value() || balances.empty()) return balances;
  std::vector<std::string> ids;
  for (const ledger::Balance& b : balances) ids.push_back(b.account);
  std::vector<ledger::Balance> dated;
  for (size_t start = 0; start < ids.size(); start += ledger::kMaxKeysPerRead) {
    size_t n = std::min(ledger::kMaxKeysPerRead, ids.size() - start);
    absl::StatusOr<ledger::BalanceSet> set =
        ledger.GetBalancesAsOfDate(absl::MakeConstSpan(ids).subspan(start, n), *as_of, options);
    if (!set.ok()) return set.status();
    for (ledger::Balance& b : set->balances) dated.push_back(std::move(b));
  }
  return dated;
}

// The account prefixes a holdings query sums: stock and in-transit mass of its metal (all
// metals when none is given).
struct HoldingsPrefixes {
  explicit HoldingsPrefixes(const HoldingsQuery& q)
      : stock(absl::StrCat("stock/", q.metal, q.metal.empty() ? "" : "/")),
        transit(absl::StrCat("transit/", q.metal, q.metal.empty() ? "" : "/")) {}
  bool Counts(absl::string_view account) const {
    return absl::StartsWith(account, stock) || absl::StartsWith(account, transit);
  }
  std::string stock, transit;
};

// Adds `amount` grams of holdings account `account` to its group in `groups` (a group whose
// mass reaches zero is dropped); `key` is scratch space.
absl::Status AddToGroup(const Grouping& grouping, absl::string_view account, int64_t amount,
                        std::string& key, absl::btree_map<std::string, int64_t>& groups) {
  std::optional<AccountParts> a = ParseAccount(account);
  if (!a.has_value() || amount == 0) return absl::OkStatus();
  grouping.KeyOf(*a, key);
  auto it = groups.try_emplace(key, 0).first;
  std::optional<int64_t> sum = CheckedAdd(it->second, amount);
  if (!sum.has_value()) return absl::OutOfRangeError("holdings overflow 64 bits");
  if (*sum == 0) {
    groups.erase(it);
  } else {
    it->second = *sum;
  }
  return absl::OkStatus();
}

// Journal entries a holdings answer is brought forward by before a full read is cheaper.
constexpr ledger::Seq kMaxHoldingsDelta = 256;

// The answer's rows for `groups` (keys -> grams), in key order.
std::shared_ptr<const std::vector<HoldingRow>> RowsOf(
    const absl::btree_map<std::string, int64_t>& groups) {
  auto rows = std::make_shared<std::vector<HoldingRow>>();
  rows->reserve(groups.size());
  for (const auto& [key, mass] : groups) {
    HoldingRow row = Grouping::RowOf(key);
    row.mass_g = mass;
    rows->push_back(std::move(row));
  }
  return rows;
}

// `last` brought forward to at least `head`: balances only change by postings, so adding the
// postings of the journal entries after `last` to their groups' rows gives what a full read
// at the last of those entries would. nullptr when a full read is wanted instead: too many entries
// behind, a depot record written among them (a depot may have moved province), or the
// journal not readable here (a ledger that refuses ReadJournal to this service).
std::shared_ptr<const GroupedHoldings> AdvanceHoldings(ledger::Ledger& ledger,
                                                       const HoldingsQuery& query,
                                                       const GroupedHoldings& last,
                                                       ledger::Seq head) {
  if (head - last.seq > kMaxHoldingsDelta) return nullptr;
  absl::StatusOr<std::vector<ledger::JournalEntry>> entries =
      ledger.ReadJournal(last.seq + 1, kMaxHoldingsDelta);
  if (!entries.ok() || entries->empty() || entries->back().seq < head) return nullptr;
  const HoldingsPrefixes prefixes(query);
  std::vector<const ledger::Posting*> counted;
  ledger::Seq expected = last.seq + 1;
  for (const ledger::JournalEntry& e : *entries) {
    if (e.seq != expected++) return nullptr;
    for (const ledger::RecordWrite& w : e.tx.writes) {
      if (absl::StartsWith(w.key, kDepotPrefix)) return nullptr;
    }
    for (const ledger::Posting& p : e.tx.postings) {
      if (prefixes.Counts(p.account)) counted.push_back(&p);
    }
  }
  auto next = std::make_shared<GroupedHoldings>(last);
  next->seq = entries->back().seq;
  if (counted.empty()) return next;
  auto rows = std::make_shared<std::vector<HoldingRow>>(*last.rows);
  const Grouping grouping(query.group_by, *last.province_of);
  for (const ledger::Posting* p : counted) {
    std::optional<AccountParts> a = ParseAccount(p->account);
    if (!a.has_value()) continue;
    const Grouping::Fields fields = grouping.FieldsOf(*a);
    auto it = std::lower_bound(rows->begin(), rows->end(), fields,
                               [](const HoldingRow& r, const Grouping::Fields& f) {
                                 return Grouping::FieldsOfRow(r) < f;
                               });
    if (it != rows->end() && Grouping::FieldsOfRow(*it) == fields) {
      std::optional<int64_t> sum = CheckedAdd(it->mass_g, p->amount);
      if (!sum.has_value()) return nullptr;  // the full read names the overflow
      if (*sum == 0) {
        rows->erase(it);
      } else {
        it->mass_g = *sum;
      }
    } else {
      HoldingRow row{std::string(fields[0]), std::string(fields[1]), std::string(fields[2]),
                     std::string(fields[3]), std::string(fields[4]), p->amount, {}};
      rows->insert(it, std::move(row));
    }
  }
  next->rows = std::move(rows);
  return next;
}

Holdings ToHoldings(const GroupedHoldings& grouped) {
  return Holdings{*grouped.rows, grouped.seq};
}

}  // namespace

absl::StatusOr<Holdings> Inventory::GetHoldings(const HoldingsQuery& query) {
  if (absl::Status s = CheckQuery(query); !s.ok()) return s;
  absl::StatusOr<ledger::Head> head = ledger_.GetHead();
  if (!head.ok()) return head.status();
  const std::string key = HoldingsQueryKey(query);
  std::shared_ptr<const GroupedHoldings> last = holdings_cache_->Find(key);
  if (last != nullptr && last->seq == head->seq) return ToHoldings(*last);
  if (last != nullptr && last->seq < head->seq && !query.as_of.has_value() &&
      options_.incremental_holdings) {
    if (std::shared_ptr<const GroupedHoldings> next =
            AdvanceHoldings(ledger_, query, *last, head->seq);
        next != nullptr) {
      holdings_cache_->Put(key, next);
      return ToHoldings(*next);
    }
  }
  absl::StatusOr<std::shared_ptr<const GroupedHoldings>> computed = ComputeHoldings(query);
  if (!computed.ok()) return computed.status();
  holdings_cache_->Put(key, *computed);
  return ToHoldings(**computed);
}

absl::StatusOr<std::shared_ptr<const GroupedHoldings>> Inventory::ComputeHoldings(
    const HoldingsQuery& query) {
  auto out = std::make_shared<GroupedHoldings>();
  const HoldingsPrefixes prefixes(query);
  absl::StatusOr<std::vector<ledger::Balance>> balances = ReadAggregateBalances(
      ledger_, {prefixes.stock, prefixes.transit}, query.as_of, out->seq);
  if (!balances.ok()) return balances.status();
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> province_of =
      ProvincesIfGrouped(query);
  if (!province_of.ok()) return province_of.status();
  out->province_of = std::make_shared<const absl::flat_hash_map<std::string, std::string>>(
      *std::move(province_of));
  const Grouping grouping(query.group_by, *out->province_of);
  absl::btree_map<std::string, int64_t> groups;
  std::string key;
  for (const ledger::Balance& b : *balances) {
    if (absl::Status s = AddToGroup(grouping, b.account, b.amount, key, groups); !s.ok()) {
      return s;
    }
  }
  out->rows = RowsOf(groups);
  return out;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> Inventory::ProvincesIfGrouped(
    const HoldingsQuery& query) {
  absl::flat_hash_map<std::string, std::string> province_of;
  if (std::find(query.group_by.begin(), query.group_by.end(), GroupKey::kProvince) ==
      query.group_by.end()) {
    return province_of;
  }
  absl::StatusOr<std::vector<Depot>> depots = ListDepots();
  if (!depots.ok()) return depots.status();
  for (const Depot& d : *depots) province_of[d.id] = d.province;
  return province_of;
}

absl::StatusOr<std::vector<ValuationRow>> Inventory::Valuate(const HoldingsQuery& query) {
  absl::StatusOr<Holdings> holdings = GetHoldings(query);
  if (!holdings.ok()) return holdings.status();
  // Book cost per (group, currency) from the cost accounts at the same sequence number.
  ledger::ReadOptions options{holdings->as_of_seq};
  std::vector<ledger::Balance> costs;
  for (absl::string_view prefix : {"cost/", "cost-transit/"}) {
    absl::Status s = domain::ScanAllBalances(ledger_, prefix, kMaxHoldingAccounts, options, costs);
    if (!s.ok()) return s;
  }
  if (query.as_of.has_value() && !costs.empty()) {
    std::vector<std::string> ids;
    for (const ledger::Balance& b : costs) ids.push_back(b.account);
    std::vector<ledger::Balance> dated;
    for (size_t start = 0; start < ids.size(); start += ledger::kMaxKeysPerRead) {
      size_t n = std::min(ledger::kMaxKeysPerRead, ids.size() - start);
      absl::StatusOr<ledger::BalanceSet> set = ledger_.GetBalancesAsOfDate(
          absl::MakeConstSpan(ids).subspan(start, n), *query.as_of, options);
      if (!set.ok()) return set.status();
      for (ledger::Balance& b : set->balances) dated.push_back(std::move(b));
    }
    costs = std::move(dated);
  }
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> province_of =
      ProvincesIfGrouped(query);
  if (!province_of.ok()) return province_of.status();
  Grouping grouping(query.group_by, *province_of);
  // group key -> currency -> book cost
  absl::flat_hash_map<std::string, std::map<std::string, int64_t>> cost_of;
  std::string key;
  for (const ledger::Balance& b : costs) {
    std::optional<AccountParts> a = ParseAccount(b.account);
    if (!a.has_value() || b.amount == 0) continue;
    if (!query.metal.empty() && a->metal != query.metal) continue;
    grouping.KeyOf(*a, key);
    int64_t& cost = cost_of[key][std::string(a->currency)];
    std::optional<int64_t> sum = CheckedAdd(cost, b.amount);
    if (!sum.has_value()) return absl::OutOfRangeError("book cost overflows 64 bits");
    cost = *sum;
  }
  absl::CivilDay date = query.as_of.value_or(ledger::kMaxBusinessDate);
  std::vector<ValuationRow> out;
  // One price lookup per (metal, currency), however many groups share it.
  std::map<std::pair<std::string, std::string>, absl::StatusOr<PriceMark>> marks;
  for (const HoldingRow& h : holdings->rows) {
    std::map<std::string, int64_t> currencies = cost_of[Grouping::KeyOfRow(h)];
    if (currencies.empty()) currencies["CNY"] = 0;  // metal held at zero book cost
    for (const auto& [currency, cost] : currencies) {
      ValuationRow row;
      row.holding = h;
      row.currency = currency;
      row.book_cost_minor = cost;
      auto cached = marks.find({h.metal, currency});
      if (cached == marks.end()) {
        cached = marks
                     .emplace(std::make_pair(h.metal, currency),
                              LatestPriceMark(h.metal, date, currency))
                     .first;
      }
      const absl::StatusOr<PriceMark>& mark = cached->second;
      if (mark.ok()) {
        std::optional<int64_t> value = ValueOfMass(h.mass_g, mark->price_minor_per_t);
        std::optional<int64_t> gain =
            value.has_value() ? CheckedSub(*value, cost) : std::optional<int64_t>();
        if (!gain.has_value()) return absl::OutOfRangeError("market value overflows 64 bits");
        row.priced = true;
        row.price_date = mark->date;
        row.price_minor_per_t = mark->price_minor_per_t;
        row.market_value_minor = *value;
        row.unrealised_minor = *gain;
      } else if (mark.status().code() != absl::StatusCode::kNotFound) {
        return mark.status();
      }
      out.push_back(std::move(row));
    }
  }
  return out;
}

absl::StatusOr<DaysOfCover> Inventory::ComputeDaysOfCover(absl::string_view metal,
                                                          int64_t consumption_g_per_day) {
  if (absl::Status s = CheckMetalCode(metal, "metal"); !s.ok()) return s;
  if (consumption_g_per_day <= 0) {
    return InvalidField("consumption_g_per_day", "must be positive");
  }
  absl::StatusOr<Loaded<Metal>> m = LoadMetal(ledger_, metal);
  if (!m.ok()) return m.status();
  HoldingsQuery q;
  q.metal = std::string(metal);
  absl::StatusOr<Holdings> h = GetHoldings(q);
  if (!h.ok()) return h.status();
  DaysOfCover out;
  for (const HoldingRow& r : h->rows) out.held_g += r.mass_g;
  out.consumption_g_per_day = consumption_g_per_day;
  out.whole_days = out.held_g / consumption_g_per_day;
  out.days = static_cast<double>(out.held_g) / static_cast<double>(consumption_g_per_day);
  return out;
}

// ---- Price marks ----

absl::StatusOr<Mutation<size_t>> Inventory::AddPriceMarks(const Context& ctx,
                                                          const std::vector<PriceMark>& marks) {
  if (marks.empty()) return InvalidField("marks", "at least one mark");
  if (marks.size() > kMaxPriceMarksPerImport) {
    return InvalidField("marks", absl::StrCat("at most ", kMaxPriceMarksPerImport, " marks"));
  }
  std::set<std::string> keys;
  json req = json::array();
  for (size_t i = 0; i < marks.size(); ++i) {
    const PriceMark& m = marks[i];
    std::string p = absl::StrCat("marks[", i, "]");
    if (absl::Status s = CheckMetalCode(m.metal, p + ".metal"); !s.ok()) return s;
    if (absl::Status s = CheckDate(m.date, p + ".date"); !s.ok()) return s;
    if (m.price_minor_per_t <= 0) return InvalidField(p + ".price_minor_per_t", "must be positive");
    if (absl::Status s = CheckCurrency(m.currency, p + ".currency"); !s.ok()) return s;
    if (absl::Status s = CheckText(m.source, p + ".source", true); !s.ok()) return s;
    if (!keys.insert(PriceKey(m)).second) {
      return InvalidField(p, "a second mark for the same metal, date and currency");
    }
    req.push_back(json::parse(EncodePriceMark(m)));
  }
  auto planner = [&]() -> absl::StatusOr<Plan> {
    std::set<std::string> metals;
    for (const PriceMark& m : marks) {
      if (metals.insert(m.metal).second) {
        absl::StatusOr<Loaded<Metal>> metal = LoadMetal(ledger_, m.metal);
        if (!metal.ok()) return metal.status();
      }
    }
    std::vector<std::string> price_keys;
    for (const PriceMark& m : marks) price_keys.push_back(PriceKey(m));
    absl::StatusOr<ledger::RecordSet> existing = ReadRecords(ledger_, price_keys);
    if (!existing.ok()) return existing.status();
    Plan plan;
    for (size_t i = 0; i < marks.size(); ++i) {
      plan.tx.writes.push_back(ledger::RecordWrite{price_keys[i], existing->records[i].version,
                                                   EncodePriceMark(marks[i]), false});
    }
    plan.response = {{"count", marks.size()}};
    return plan;
  };
  return Convert<size_t>(
      Mutate(ledger_, ctx, "inventory.add_price_marks", req, planner),
      [](const json& j) -> absl::StatusOr<size_t> { return j.at("count").get<size_t>(); });
}

absl::StatusOr<Mutation<size_t>> Inventory::ImportPriceMarksCsv(const Context& ctx,
                                                                absl::string_view csv) {
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv(csv, kMaxPriceMarksPerImport + 1, "csv");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return InvalidField("csv", "empty: a header row is required");
  const std::vector<std::string> columns = {"metal", "date", "price_minor_per_t", "currency",
                                            "source"};
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rows->front().size(); ++i) {
    index[std::string(absl::StripAsciiWhitespace(rows->front()[i]))] = i;
  }
  for (const std::string& c : columns) {
    if (!index.contains(c)) return InvalidField("csv", absl::StrCat("header lacks column ", c));
  }
  std::vector<PriceMark> marks;
  for (size_t r = 1; r < rows->size(); ++r) {
    const CsvRow& row = (*rows)[r];
    std::string p = absl::StrCat("csv.rows[", r, "]");
    if (row.size() != rows->front().size()) {
      return InvalidField(
          p, absl::StrCat("has ", row.size(), " fields; the header has ", rows->front().size()));
    }
    PriceMark m;
    m.metal = row[index["metal"]];
    std::optional<absl::CivilDay> date = ParseDate(row[index["date"]]);
    if (!date.has_value()) return InvalidField(p + ".date", "not a YYYY-MM-DD date");
    m.date = *date;
    if (!absl::SimpleAtoi(row[index["price_minor_per_t"]], &m.price_minor_per_t)) {
      return InvalidField(p + ".price_minor_per_t", "not an integer");
    }
    m.currency = row[index["currency"]];
    m.source = row[index["source"]];
    marks.push_back(std::move(m));
  }
  if (marks.empty()) return InvalidField("csv", "no data rows");
  return AddPriceMarks(ctx, marks);
}

absl::StatusOr<std::vector<PriceMark>> Inventory::ListPriceMarks(absl::string_view metal,
                                                                 absl::CivilDay from,
                                                                 absl::CivilDay to) {
  if (absl::Status s = CheckMetalCode(metal, "metal"); !s.ok()) return s;
  std::vector<PriceMark> out;
  ledger::Page page{ledger::kMaxPageSize, ""};
  ledger::ReadOptions options;
  std::string prefix = absl::StrCat(kPricePrefix, metal, "/");
  while (out.size() < ledger::kMaxPageSize) {
    absl::StatusOr<ledger::RecordPage> p = ledger_.ScanRecords(prefix, page, options);
    if (!p.ok()) return p.status();
    options.at_seq = p->as_of_seq;
    for (const ledger::Record& r : p->records) {
      absl::StatusOr<PriceMark> m = DecodePriceMark(r.value);
      if (!m.ok()) return m.status();
      if (m->date >= from && m->date <= to && out.size() < ledger::kMaxPageSize) {
        out.push_back(*std::move(m));
      }
    }
    if (p->next_page_token.empty()) break;
    page.page_token = p->next_page_token;
  }
  return out;
}

absl::StatusOr<PriceMark> Inventory::LatestPriceMark(absl::string_view metal, absl::CivilDay date,
                                                     absl::string_view currency) {
  ledger::Page page{ledger::kMaxPageSize, ""};
  ledger::ReadOptions options;
  std::string prefix = absl::StrCat(kPricePrefix, metal, "/");
  std::optional<PriceMark> best;
  bool past_date = false;
  while (!past_date) {
    absl::StatusOr<ledger::RecordPage> p = ledger_.ScanRecords(prefix, page, options);
    if (!p.ok()) return p.status();
    options.at_seq = p->as_of_seq;
    for (const ledger::Record& r : p->records) {
      absl::StatusOr<PriceMark> m = DecodePriceMark(r.value);
      if (!m.ok()) return m.status();
      if (m->date > date) {  // keys sort by date: nothing later can qualify
        past_date = true;
        break;
      }
      if (m->currency == currency) best = *std::move(m);
    }
    if (p->next_page_token.empty()) break;
    page.page_token = p->next_page_token;
  }
  if (!best.has_value()) {
    return NotFound(why::kNoPriceMark, absl::StrCat("no ", currency, " price mark for ", metal,
                                                    " on or before ", FormatDate(date)));
  }
  return *best;
}

}  // namespace reserve::inventory
