// Inventory domain rules: catalog, depots, lots, acquisitions, transfers, releases,
// rotations, stock counts, holdings, valuation, price marks (issue 3, DESIGN.md section 5).
//
// Plain C++ over the Ledger interface: no gRPC, protobuf or RocksDB here. Every mutation is
// one ledger transaction, built from a read of current state and committed with
// compare-and-set on the records it changes; a version conflict or a guarded balance that a
// concurrent writer spent re-reads and re-decides (up to kMaxCommitAttempts), so concurrent
// releases of one lot end with one success and one FAILED_PRECONDITION.
//
// Idempotency: every mutation names a request id and goes through the domain kit's Mutate
// (services/domain/mutate.h). The first commit stores a receipt record
// ("inventory-request/<id>") holding a fingerprint of the request and its response; a retry
// with the same content returns that response (replayed = true), different content under the
// same id is ALREADY_EXISTS (REQUEST_ID_REUSED).
//
// Errors: INVALID_ARGUMENT naming the request field path ("lots[3].net_mass_g"); NOT_FOUND
// with reasons UNKNOWN_METAL / UNKNOWN_DEPOT / UNKNOWN_LOT / UNKNOWN_STOCK_COUNT;
// FAILED_PRECONDITION with the reasons in namespace `inventory_reason`; PERMISSION_DENIED
// (SELF_APPROVAL) when the counter approves their own count. Ledger errors pass through.
//
// Thread safety: all methods may be called concurrently.
#ifndef RESERVE_SERVICES_INVENTORY_INVENTORY_H_
#define RESERVE_SERVICES_INVENTORY_INVENTORY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/domain/context.h"
#include "services/inventory/model.h"
#include "storage/ledger.h"

namespace reserve::inventory {

// Business rejection reasons (FAILED_PRECONDITION unless noted). Part of the API.
namespace inventory_reason {
inline constexpr absl::string_view kUnknownMetal = "UNKNOWN_METAL";             // NOT_FOUND
inline constexpr absl::string_view kUnknownDepot = "UNKNOWN_DEPOT";             // NOT_FOUND
inline constexpr absl::string_view kUnknownLot = "UNKNOWN_LOT";                 // NOT_FOUND
inline constexpr absl::string_view kUnknownStockCount = "UNKNOWN_STOCK_COUNT";  // NOT_FOUND
inline constexpr absl::string_view kMetalExists = "METAL_EXISTS";
inline constexpr absl::string_view kGradeExists = "GRADE_EXISTS";
inline constexpr absl::string_view kDepotExists = "DEPOT_EXISTS";
inline constexpr absl::string_view kLotExists = "LOT_EXISTS";
inline constexpr absl::string_view kDepotCapacity = "DEPOT_CAPACITY";
inline constexpr absl::string_view kInsufficientStock = "INSUFFICIENT_STOCK";
inline constexpr absl::string_view kLotInTransit = "LOT_IN_TRANSIT";
inline constexpr absl::string_view kLotPledged = "LOT_PLEDGED";
inline constexpr absl::string_view kLotEarmarked = "LOT_EARMARKED";
inline constexpr absl::string_view kLotNotEarmarked = "LOT_NOT_EARMARKED";  // auction delivery
inline constexpr absl::string_view kLotReleased = "LOT_RELEASED";
inline constexpr absl::string_view kLotNotInTransit = "LOT_NOT_IN_TRANSIT";
inline constexpr absl::string_view kSameDepot = "SAME_DEPOT";
inline constexpr absl::string_view kCountNotPending = "COUNT_NOT_PENDING";
inline constexpr absl::string_view kLotChangedSinceCount = "LOT_CHANGED_SINCE_COUNT";
inline constexpr absl::string_view kSelfApproval = "SELF_APPROVAL";  // PERMISSION_DENIED
inline constexpr absl::string_view kOrderUnsupported = "ORDER_UNSUPPORTED";
inline constexpr absl::string_view kNoPriceMark = "NO_PRICE_MARK";
}  // namespace inventory_reason

// Limits (each enforced at the boundary with INVALID_ARGUMENT or RESOURCE_EXHAUSTED). Ids
// and text follow the domain kit's (services/domain/checks.h: 64 and 256 characters), as do
// the commit attempts (8) and the records one filtered page of ListLots scans (20,000).
inline constexpr size_t kMaxLotsPerAcquisition = 1000;   // the batch size
inline constexpr size_t kMaxLinesPerRelease = 1000;      // same bound as acquisitions
inline constexpr size_t kMaxPriceMarksPerImport = 4000;  // one record write each; < kMaxWrites
inline constexpr size_t kMaxRequestIdChars = 200;        // ledger ids are <= 256 with our prefix
inline constexpr size_t kMaxHoldingAccounts = 200000;    // accounts aggregated per query

// Who asks, under which request id, effective on which business date; what a change
// returns (the domain kit's types).
using Context = domain::Context;
template <typename T>
using Mutation = domain::Mutation<T>;

// What an acquisition or release executing an order adds to the ledger transaction.
struct OrderUse {
  std::string order_id;
  bool acquisition = true;  // false: a release
  std::string metal;
  int64_t mass_g = 0;
  int64_t cost_minor = 0;  // acquisition cost (0 for releases)
  std::string currency;
  absl::CivilDay business_date;
};

// The hook the decision service implements so that consuming an order is atomic with the
// inventory movement: it reads the order, checks quantity, price limit and budget, and adds
// its own record writes (CAS), checks, accounts and postings to `tx`. It must not commit.
// Returning an error aborts the movement (nothing is written). Called once per order per
// attempt (a conflict re-runs it on fresh state).
class OrderHook {
 public:
  virtual ~OrderHook() = default;
  virtual absl::Status AddToTransaction(absl::Span<const OrderUse> uses,
                                        ledger::Transaction& tx) = 0;
};

// The hook the financing rules implement so that a stock count that changes the mass of an
// encumbered lot (a pledged one) changes the lien in the same transaction: the pledge's
// collateral follows the metal actually counted, never the mass booked when it was pledged.
// Called when a count is posted (at once, or on approval) with the lot as the count leaves
// it, the difference in grams (never 0) and the count's id. It adds its own reads' checks and
// record writes (CAS) to `tx` and must not commit; an error aborts the count (nothing is
// written). Called once per attempt (a conflict re-runs it on fresh state).
class LotMassHook {
 public:
  virtual ~LotMassHook() = default;
  virtual absl::Status AddToTransaction(const Lot& lot, int64_t difference_g,
                                        absl::string_view count_id, ledger::Transaction& tx) = 0;
};

struct InventoryOptions {
  // A stock-count difference with |difference| * 10,000 > tolerance_bp * book mass waits for
  // an approver who is not the counter. 50 bp = 0.5%.
  int64_t stock_count_tolerance_bp = 50;
  OrderHook* order_hook = nullptr;  // not owned; must outlive the Inventory
  // Not owned; must outlive the Inventory. Without one, a count that would change the mass
  // of a lot carrying a pledge is refused (LOT_PLEDGED): the lien must never go stale.
  LotMassHook* lot_mass_hook = nullptr;
  // Current holdings (no as-of date) follow the journal: a query whose last answer is a few
  // entries behind the head adds those entries' postings to it instead of reading every
  // account again (see GetHoldings). Off: every new head reads in full.
  bool incremental_holdings = true;
};

struct AcquireRequest {
  std::vector<Lot> lots;  // id optional (derived from the request id); status ignored
  std::string order_id;
  std::string memo;
};

struct ReleaseLine {
  std::string lot_id;
  int64_t mass_g = 0;  // 0: the whole lot
};

struct ReleaseRequest {
  std::vector<ReleaseLine> lines;
  std::string buyer;
  std::string reference;  // the sale, auction or award
  std::string order_id;
  std::string memo;
  // Set only by the decision service when delivering auction lots: each lot must be earmarked
  // with an "earmark" encumbrance whose reference is this auction id, and the release lifts
  // that earmark in the same transaction. Not reachable through the InventoryService API.
  // (The initializer lets brace-initialised requests omit it without a warning.)
  std::string earmark_reference{};
};

struct ReleaseResult {
  std::vector<Lot> lots;  // the lots after the release
  int64_t mass_g = 0;
};

struct RotateRequest {
  ReleaseRequest release;
  AcquireRequest acquire;
};

struct RotateResult {
  ReleaseResult released;
  std::vector<std::string> acquired_lot_ids;
};

struct StockCountRequest {
  std::string lot_id;
  int64_t counted_mass_g = 0;
  std::string reason;
};

struct LotFilter {
  std::string metal, depot, province, owner, brand;
  ReserveClass reserve_class = ReserveClass::kUnspecified;
  LotStatus status = LotStatus::kUnspecified;
  int32_t year_produced = 0;
};

struct LotPage {
  std::vector<Lot> lots;
  std::string next_page_token;
};

struct LotEvent {
  ledger::Seq seq = 0;
  std::string kind;
  std::string principal;
  absl::CivilDay business_date;
  std::string memo;
  Lot lot;  // the lot as written by that transaction
};

enum class GroupKey { kMetal, kDepot, kProvince, kClass, kOwner };

struct HoldingsQuery {
  std::vector<GroupKey> group_by;       // empty: one grand total per metal
  std::optional<absl::CivilDay> as_of;  // none: now
  std::string metal;                    // optional filter
};

// One group. Keys not grouped by are empty. Metal in transit has depot "(in transit)".
struct HoldingRow {
  std::string metal, depot, province, reserve_class, owner;
  int64_t mass_g = 0;
  // Book cost per currency (valuation only).
  std::vector<std::pair<std::string, int64_t>> cost_minor;
};

struct Holdings {
  std::vector<HoldingRow> rows;
  ledger::Seq as_of_seq = 0;
};

struct ValuationRow {
  HoldingRow holding;  // always grouped by metal, plus the query's keys
  std::string currency;
  int64_t book_cost_minor = 0;
  bool priced = false;  // false: no mark in this currency on or before the date
  absl::CivilDay price_date;
  int64_t price_minor_per_t = 0;
  int64_t market_value_minor = 0;
  int64_t unrealised_minor = 0;  // market - book
};

struct DaysOfCover {
  int64_t held_g = 0;
  int64_t consumption_g_per_day = 0;
  int64_t whole_days = 0;  // floor(held / rate)
  double days = 0;         // for people
};

class CatalogCache;   // inventory.cc
class HoldingsCache;  // inventory.cc
struct GroupedHoldings;  // inventory.cc

class Inventory {
 public:
  // Seeds the catalog on first use (one idempotent transaction), then returns the service.
  static absl::StatusOr<std::unique_ptr<Inventory>> Create(ledger::Ledger& ledger,
                                                           InventoryOptions options = {});

  ~Inventory();
  Inventory(const Inventory&) = delete;
  Inventory& operator=(const Inventory&) = delete;

  // Catalog.
  absl::StatusOr<Mutation<Metal>> AddMetal(const Context& ctx, const Metal& metal);
  absl::StatusOr<Mutation<Metal>> AddGrade(const Context& ctx, absl::string_view metal,
                                           const Grade& grade);
  absl::StatusOr<Metal> GetMetal(absl::string_view code);
  absl::StatusOr<std::vector<Metal>> ListMetals();

  // Depots. Setting capacity funds (or drains) the depot's guarded free-space accounts;
  // lowering it below what is stored is DEPOT_CAPACITY.
  absl::StatusOr<Mutation<Depot>> CreateDepot(const Context& ctx, const Depot& depot);
  absl::StatusOr<Mutation<Depot>> UpdateDepot(const Context& ctx, const Depot& depot);
  absl::StatusOr<Depot> GetDepot(absl::string_view id);
  absl::StatusOr<std::vector<Depot>> ListDepots();
  // Free space per metal (grams) now.
  absl::StatusOr<int64_t> FreeCapacity(absl::string_view depot, absl::string_view metal);

  // Lots.
  absl::StatusOr<Lot> GetLot(absl::string_view id);
  absl::StatusOr<LotPage> ListLots(const LotFilter& filter, size_t page_size,
                                   const std::string& page_token);
  absl::StatusOr<std::vector<LotEvent>> LotHistory(absl::string_view id);

  // Movements.
  absl::StatusOr<Mutation<std::vector<std::string>>> Acquire(const Context& ctx,
                                                             const AcquireRequest& request);
  // Acquire answered through `done` (see domain::MutateAsync for where it runs): the form the
  // gRPC glue uses, so no thread waits on the ledger per acquisition in flight.
  using AcquireDone = std::function<void(absl::StatusOr<Mutation<std::vector<std::string>>>)>;
  void AcquireAsync(const Context& ctx, AcquireRequest request, AcquireDone done);
  absl::StatusOr<Mutation<Lot>> Dispatch(const Context& ctx, absl::string_view lot_id,
                                         absl::string_view to_depot);
  absl::StatusOr<Mutation<Lot>> Receive(const Context& ctx, absl::string_view lot_id,
                                        absl::string_view location);
  absl::StatusOr<Mutation<ReleaseResult>> Release(const Context& ctx,
                                                  const ReleaseRequest& request);
  absl::StatusOr<Mutation<RotateResult>> Rotate(const Context& ctx, const RotateRequest& request);
  absl::StatusOr<Mutation<StockCount>> RecordStockCount(const Context& ctx,
                                                        const StockCountRequest& request);
  absl::StatusOr<Mutation<StockCount>> DecideStockCount(const Context& ctx,
                                                        absl::string_view count_id, bool approve);
  absl::StatusOr<StockCount> GetStockCount(absl::string_view id);

  // Queries.
  absl::StatusOr<Holdings> GetHoldings(const HoldingsQuery& query);
  absl::StatusOr<std::vector<ValuationRow>> Valuate(const HoldingsQuery& query);
  absl::StatusOr<DaysOfCover> ComputeDaysOfCover(absl::string_view metal,
                                                 int64_t consumption_g_per_day);

  // Price marks. Adding a mark for an existing (metal, date) replaces it.
  absl::StatusOr<Mutation<size_t>> AddPriceMarks(const Context& ctx,
                                                 const std::vector<PriceMark>& marks);
  // CSV with header "metal,date,price_minor_per_t,currency,source" (RFC 4180).
  absl::StatusOr<Mutation<size_t>> ImportPriceMarksCsv(const Context& ctx, absl::string_view csv);
  // Marks of `metal` from `from` to `to` inclusive, oldest first, at most kMaxPageSize.
  absl::StatusOr<std::vector<PriceMark>> ListPriceMarks(absl::string_view metal,
                                                        absl::CivilDay from, absl::CivilDay to);
  // The latest mark of `metal` on or before `date` (NOT_FOUND NO_PRICE_MARK when none).
  absl::StatusOr<PriceMark> LatestPriceMark(absl::string_view metal, absl::CivilDay date,
                                            absl::string_view currency);

 private:
  Inventory(ledger::Ledger& ledger, InventoryOptions options);
  // Holdings for `query` read in full, at the head.
  absl::StatusOr<std::shared_ptr<const GroupedHoldings>> ComputeHoldings(
      const HoldingsQuery& query);
  // Depot -> province, when the query groups by province (empty otherwise).
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ProvincesIfGrouped(
      const HoldingsQuery& query);

  ledger::Ledger& ledger_;
  const InventoryOptions options_;
  const std::unique_ptr<CatalogCache> catalog_;  // metals and depots, for acquisitions
  const std::unique_ptr<HoldingsCache> holdings_cache_;  // the last answer per query
};

// The catalog written on first start.
std::vector<Metal> SeedMetals();

}  // namespace reserve::inventory

#endif  // RESERVE_SERVICES_INVENTORY_INVENTORY_H_
