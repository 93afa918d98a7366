// Financing domain rules: verify lots, pledge them to a bank, repay, enforce on default,
// consent to call-ups, exposure and totals, mark to market, and the bank event stream
// (issue 4, DESIGN.md sections 1 and 5; the 2014 Qingdao double-pledging fraud).
//
// Plain C++ over the Ledger interface: no gRPC, protobuf or RocksDB here.
//
// Pledge exclusivity is the ledger's: a pledge transaction writes every lot record by
// compare-and-set (status pledged, an Encumbrance naming the pledge) at the version it read,
// and inventory's release, dispatch and rotation CAS the same records and refuse a pledged
// lot. Two banks racing for one lot: one commit wins; the other gets ABORTED from the
// ledger, re-reads, and is refused FAILED_PRECONDITION LOT_PLEDGED. Every lot goes to at
// most one bank, whatever the interleaving, and in either deployment (embedded or split).
//
// Idempotency: a pledge's id is derived from the bank and the request id, so the pledge
// record is its own receipt: a retry finds it and returns it (replayed = true, the original
// seq); other content under the same request id is ALREADY_EXISTS. Other mutations keep a
// receipt record "financing-request/<bank>/<request_id>".
//
// Mark to market: MarkToMarket(entry) handles one journal entry that wrote price marks
// (see mark_to_market.h for the follower that feeds it, exactly once per entry).
//
// Thread safety: all methods may be called concurrently.
#ifndef RESERVE_SERVICES_COMMERCIAL_FINANCING_H_
#define RESERVE_SERVICES_COMMERCIAL_FINANCING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/commercial/common.h"
#include "services/commercial/model.h"
#include "services/inventory/model.h"
#include "storage/ledger.h"

namespace reserve::commercial {

// What VerifyLots says about one lot. Numbering matches the proto enum.
enum class Pledgeability {
  kUnspecified = 0,
  kFree = 1,
  kUnknownLot = 2,
  kEncumbered = 3,
  kPledgedToYou = 4,
  kInTransit = 5,
  kReleased = 6,
  kDepotNotApproved = 7,
  kNotCommercial = 8,
  kNotBorrowers = 9,
};

struct LotVerification {
  std::string lot_id;
  Pledgeability pledgeability = Pledgeability::kUnspecified;
  std::string metal;
  std::string grade;
  int64_t net_mass_g = 0;
  std::string depot;
  bool depot_approved_for_pledge = false;
};

struct Verification {
  std::vector<LotVerification> lots;
  ledger::Seq as_of_seq = 0;
};

struct PledgeRequest {
  std::string borrower;
  std::vector<std::string> lot_ids;
  int64_t principal_minor = 0;
  std::string currency;
  int64_t interest_rate_bp = 0;
  absl::CivilDay maturity_date;
  int64_t max_ltv_bp = 0;
  int64_t margin_call_ltv_bp = 0;
  std::string loan_reference;
};

struct PledgeResult {
  Pledge pledge;
  int64_t ltv_bp = 0;  // at creation
};

struct PledgePage {
  std::vector<Pledge> pledges;
  std::string next_page_token;
};

struct ExposureRow {
  Pledge pledge;
  bool priced = false;
  MarkedPrice price;
  int64_t collateral_value_minor = 0;
  int64_t ltv_bp = 0;
};

struct Exposure {
  std::vector<ExposureRow> rows;
  // currency -> (principal, collateral value of the priced rows)
  std::map<std::string, std::pair<int64_t, int64_t>> totals;
  ledger::Seq as_of_seq = 0;
};

struct TotalsRow {
  std::string metal;
  std::string currency;
  int64_t active_pledges = 0;
  int64_t principal_minor = 0;
  int64_t collateral_mass_g = 0;
  int64_t in_margin_call = 0;
  int64_t enforced_pledges = 0;
};

struct Totals {
  std::vector<TotalsRow> rows;
  ledger::Seq as_of_seq = 0;
};

struct PledgeEvent {
  ledger::Seq seq = 0;
  uint32_t index = 0;  // the record write's position in the transaction
  PledgeEventKind kind = PledgeEventKind::kNone;
  absl::CivilDay business_date;
  Pledge pledge;  // as that transaction wrote it
};

// Resume after the event (after_seq, after_index); after_seq = 0: from the first entry.
struct EventCursor {
  ledger::Seq after_seq = 0;
  uint32_t after_index = 0;
};

struct WatchOptions {
  bool follow = false;    // false: stop at the journal head as of the call
  size_t max_events = 0;  // 0: no limit
  // Catching up over more journal entries than this reads the bank's own pledge histories
  // instead of walking the journal (the same events either way; see README "Events").
  uint64_t walk_limit = 4096;
};

// Return false to stop the stream.
using EventCallback = std::function<bool(const PledgeEvent&)>;

// The principal of transactions the service commits on its own (mark to market).
inline constexpr absl::string_view kSystemPrincipal = "system:financing";

// Whether `bank` may pledge `lot` for `borrower` (empty: any owner) now. Checked in this
// order: released, in transit, encumbered (pledged to this bank, or anything else), not
// commercial class, not the borrower's, depot not approved for pledges.
Pledgeability ClassifyLot(const inventory::Lot& lot, absl::string_view bank,
                          absl::string_view borrower, bool depot_approved);

class Financing {
 public:
  explicit Financing(ledger::Ledger& ledger) : ledger_(ledger) {}
  Financing(const Financing&) = delete;
  Financing& operator=(const Financing&) = delete;

  // Lots: existence, metal, grade, mass, depot and whether `bank` may pledge them now.
  // Never says who else lends against a lot. INVALID_ARGUMENT for 0 or more than
  // kMaxLotsPerVerify ids, a bad or repeated id.
  absl::StatusOr<Verification> VerifyLots(absl::string_view bank,
                                          const std::vector<std::string>& lot_ids,
                                          absl::string_view borrower);

  // Registers `bank`'s lien on the lots for a loan. FAILED_PRECONDITION reasons: LOT_PLEDGED
  // (to anyone, this bank included), LOT_NOT_FREE (in transit, released, earmarked),
  // LOT_NOT_COMMERCIAL, LOT_NOT_BORROWERS, DEPOT_NOT_APPROVED, MIXED_METALS, NO_PRICE_MARK,
  // LTV_TOO_HIGH; NOT_FOUND UNKNOWN_LOT / UNKNOWN_ENTERPRISE.
  absl::StatusOr<Mutation<PledgeResult>> CreatePledge(const Context& ctx, absl::string_view bank,
                                                      const PledgeRequest& request);
  // CreatePledge answered through `done`, on the caller's thread (a refusal from the reads)
  // or the ledger's (after the commit; a retry's reads run there too): the gRPC glue's form,
  // so no thread waits on the ledger per pledge in flight.
  using PledgeDone = std::function<void(absl::StatusOr<Mutation<PledgeResult>>)>;
  void CreatePledgeAsync(const Context& ctx, absl::string_view bank, PledgeRequest request,
                         PledgeDone done);

  // A pledge `scope` may see (another bank's is NOT_FOUND UNKNOWN_PLEDGE, like none).
  absl::StatusOr<Pledge> GetPledge(const Scope& scope, absl::string_view pledge_id);
  absl::StatusOr<PledgePage> ListPledges(const Scope& scope, PledgeStatus status, size_t page_size,
                                         const std::string& page_token);

  // Repayment: the pledge is released and its lots are free again. PLEDGE_NOT_ACTIVE.
  absl::StatusOr<Mutation<Pledge>> RepayPledge(const Context& ctx, absl::string_view bank,
                                               absl::string_view pledge_id);
  // Default: title to the lots passes to the bank (owner "bank:<id>"), subject to the
  // state's call-up right while the agreement covering them runs. Only after maturity or in
  // a margin call (NOT_IN_DEFAULT otherwise).
  absl::StatusOr<Mutation<Pledge>> EnforcePledge(const Context& ctx, absl::string_view bank,
                                                 absl::string_view pledge_id,
                                                 absl::string_view reason);
  // The bank consents to a call-up taking its pledged lots (NOT_AFFECTED when the call-up
  // does not concern the pledge).
  absl::StatusOr<Mutation<Pledge>> ConsentToCallUp(const Context& ctx, absl::string_view bank,
                                                   absl::string_view pledge_id,
                                                   absl::string_view call_up_id);

  // The bank's active pledges valued at the latest marked price.
  absl::StatusOr<Exposure> GetExposure(absl::string_view bank);
  // Totals over every bank (for finance): no bank is named.
  absl::StatusOr<Totals> GetTotals();

  // Streams `bank`'s events from the journal after `cursor` (see README "Events").
  absl::Status WatchEvents(absl::string_view bank, EventCursor cursor, const WatchOptions& options,
                           const EventCallback& on_event, const ledger::StopPredicate& stop);

  // A posted stock count changed `lot` (as the count leaves it) by `difference_g` (count
  // `count_id`): every pledge the lot carries takes the counted collateral mass and its LTV
  // at the latest marked price, in the count's own transaction `tx` (CAS writes, and a check
  // of the price read). The pledge raises MARGIN_CALL when that LTV crosses into the margin
  // call, COLLATERAL_COUNTED otherwise (a count back below it cures the call). The hook of
  // inventory's stock counts (collateral_hook.h).
  absl::Status RecountCollateral(const inventory::Lot& lot, int64_t difference_g,
                                 absl::string_view count_id, ledger::Transaction& tx);

  // True when `entry` wrote inventory price marks.
  static bool WritesPriceMarks(const ledger::JournalEntry& entry);
  // Marks every active pledge to the prices `entry` set (if they are the latest for their
  // metal and currency) and records margin calls; idempotent and exactly once per entry
  // (see README "Mark to market"). Entries without price marks are ignored.
  absl::Status MarkToMarket(const ledger::JournalEntry& entry);
  // The entries in [from, head] that wrote price marks, in order, found through the price
  // records' histories without reading the journal (the follower's catch-up).
  absl::StatusOr<std::vector<ledger::Seq>> PriceMarkEntries(ledger::Seq from, ledger::Seq head);
  // The last price-mark entry MarkToMarket completed (0: none).
  absl::StatusOr<ledger::Seq> MarkToMarketCursor();

 private:
  struct PledgeAttempts;
  void NextPledgeAttempt(std::shared_ptr<PledgeAttempts> attempts);

  ledger::Ledger& ledger_;
};

}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_FINANCING_H_
