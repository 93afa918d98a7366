// What the commercial-reserve and financing domains share: the request context, mutation
// results, rejection reasons, limits, ledger keys and accounts, input checks, and the
// idempotent read-decide-commit loop. Plain C++ over storage/ledger.h.
#ifndef RESERVE_SERVICES_COMMERCIAL_COMMON_H_
#define RESERVE_SERVICES_COMMERCIAL_COMMON_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/commercial/model.h"
#include "storage/ledger.h"

namespace reserve::commercial {

// Who asks, under which request id, effective on which business date.
struct Context {
  std::string request_id;
  std::string principal;
  absl::CivilDay business_date;
};

template <typename T>
struct Mutation {
  T value;
  ledger::Seq seq = 0;    // the committing transaction
  bool replayed = false;  // true when a retry returned an earlier result
};

// Whose rows a reader may see. Both empty: everything (admin, auditor, finance where the
// access table lets them in). A bank sees its own pledges; an enterprise its own rows.
struct Scope {
  std::string bank;
  std::string enterprise;
  bool unscoped() const { return bank.empty() && enterprise.empty(); }
};

// Business rejection reasons (FAILED_PRECONDITION unless noted). Part of the API: never
// rename one.
namespace commercial_reason {
inline constexpr absl::string_view kUnknownEnterprise = "UNKNOWN_ENTERPRISE";  // NOT_FOUND
inline constexpr absl::string_view kUnknownAgreement = "UNKNOWN_AGREEMENT";    // NOT_FOUND
inline constexpr absl::string_view kUnknownPledge = "UNKNOWN_PLEDGE";          // NOT_FOUND
inline constexpr absl::string_view kUnknownCallUp = "UNKNOWN_CALL_UP";         // NOT_FOUND
inline constexpr absl::string_view kUnknownStatement = "UNKNOWN_STATEMENT";    // NOT_FOUND
inline constexpr absl::string_view kUnknownLot = "UNKNOWN_LOT";                // NOT_FOUND
inline constexpr absl::string_view kUnknownDepot = "UNKNOWN_DEPOT";            // NOT_FOUND
inline constexpr absl::string_view kUnknownMetal = "UNKNOWN_METAL";            // NOT_FOUND
inline constexpr absl::string_view kEnterpriseExists = "ENTERPRISE_EXISTS";
inline constexpr absl::string_view kAgreementExists = "AGREEMENT_EXISTS";
inline constexpr absl::string_view kCallUpExists = "CALL_UP_EXISTS";
inline constexpr absl::string_view kMetalNotEnrolled = "METAL_NOT_ENROLLED";
inline constexpr absl::string_view kDepotNotEnrolled = "DEPOT_NOT_ENROLLED";
inline constexpr absl::string_view kAgreementOverlap = "AGREEMENT_OVERLAP";
inline constexpr absl::string_view kNotExtended = "NOT_EXTENDED";
inline constexpr absl::string_view kLotPledged = "LOT_PLEDGED";
inline constexpr absl::string_view kLotNotFree = "LOT_NOT_FREE";
inline constexpr absl::string_view kLotNotCommercial = "LOT_NOT_COMMERCIAL";
inline constexpr absl::string_view kLotNotBorrowers = "LOT_NOT_BORROWERS";
inline constexpr absl::string_view kDepotNotApproved = "DEPOT_NOT_APPROVED";
inline constexpr absl::string_view kMixedMetals = "MIXED_METALS";
inline constexpr absl::string_view kNoPriceMark = "NO_PRICE_MARK";
inline constexpr absl::string_view kLtvTooHigh = "LTV_TOO_HIGH";
inline constexpr absl::string_view kPledgeNotActive = "PLEDGE_NOT_ACTIVE";
inline constexpr absl::string_view kNotInDefault = "NOT_IN_DEFAULT";
inline constexpr absl::string_view kStatementPeriod = "STATEMENT_PERIOD";
inline constexpr absl::string_view kPeriodNotPast = "PERIOD_NOT_PAST";
inline constexpr absl::string_view kStatementPaid = "STATEMENT_PAID";
inline constexpr absl::string_view kBudgetInsufficient = "BUDGET_INSUFFICIENT";
inline constexpr absl::string_view kOutsideTerm = "OUTSIDE_TERM";
inline constexpr absl::string_view kAboveCommitment = "ABOVE_COMMITMENT";
inline constexpr absl::string_view kCallUpFulfilled = "CALL_UP_FULFILLED";
inline constexpr absl::string_view kLotNotCallable = "LOT_NOT_CALLABLE";
inline constexpr absl::string_view kBankConsentRequired = "BANK_CONSENT_REQUIRED";
inline constexpr absl::string_view kNotAffected = "NOT_AFFECTED";
inline constexpr absl::string_view kAgreementInTerm = "AGREEMENT_IN_TERM";
inline constexpr absl::string_view kDeliveryExceeds = "DELIVERY_EXCEEDS_CALL_UP";
inline constexpr absl::string_view kMixedCurrencies = "MIXED_CURRENCIES";
}  // namespace commercial_reason

// Limits (each enforced at the boundary with INVALID_ARGUMENT or RESOURCE_EXHAUSTED).
inline constexpr size_t kMaxIdChars = 64;           // ids become parts of ledger keys
inline constexpr size_t kMaxRequestIdChars = 160;   // receipt keys stay under 256 bytes
inline constexpr size_t kMaxTextChars = 256;        // names, references, reasons
inline constexpr size_t kMaxLotsPerPledge = 100;    // a loan's collateral; one small tx
inline constexpr size_t kMaxLotsPerVerify = 1000;   // one ledger read (kMaxKeysPerRead)
inline constexpr size_t kMaxLotsPerDelivery = 100;  // one call-up delivery
inline constexpr size_t kMaxMetalsPerEnterprise = 20;
inline constexpr size_t kMaxDepotsPerEnterprise = 100;
inline constexpr size_t kMaxTermsPerIndex = 100;         // agreements per enterprise and metal
inline constexpr size_t kMaxCallUpsPerPledge = 100;      // call-ups remembered on one pledge
inline constexpr size_t kMaxExtensions = 100;            // extensions of one agreement
inline constexpr int64_t kMaxDaysPerQuery = 3660;        // compliance / statement periods: 10 years
inline constexpr int kMaxCommitAttempts = 8;             // re-read-and-retry on conflicts
inline constexpr size_t kMaxRecordsScanned = 1'000'000;  // pledge scans (MTM, call-ups)
inline constexpr size_t kMaxMovementsPerAccount = 1'000'000;  // balance history per account
inline constexpr size_t kMaxPledgeWritesPerTx = 1000;         // mark-to-market chunk (< kMaxWrites)
inline constexpr int64_t kBasisPoints = 10'000;
inline constexpr int64_t kDaysPerYear = 365;  // interest subsidy: actual/365

// ---- Ledger keys and accounts (README.md "Ledger mapping"; an on-disk contract). ----
namespace keys {
std::string Enterprise(absl::string_view id);
std::string Agreement(absl::string_view id);
std::string AgreementIndex(absl::string_view enterprise, absl::string_view metal);
std::string Pledge(absl::string_view pledge_id);
std::string PledgePrefix(absl::string_view bank);  // "" : every pledge
std::string MarkedPrice(absl::string_view metal, absl::string_view currency);
std::string MtmCursor();
std::string MarkToMarket(ledger::Seq source_seq);
std::string CallUp(absl::string_view id);
std::string Statement(absl::string_view statement_id);
std::string StatementPrefix(absl::string_view enterprise);
std::string Lot(absl::string_view id);
std::string Depot(absl::string_view id);
std::string PriceMarkPrefix(absl::string_view metal);  // inventory's "price/<M>/"
std::string BudgetAccount(Budget budget, absl::string_view currency);
std::string TreasuryAccount(absl::string_view currency);
std::string PaidAccount(Budget budget, absl::string_view currency, absl::string_view payee);
}  // namespace keys

// The owner string of lots that passed to a bank on enforcement: "bank:<id>".
std::string BankOwner(absl::string_view bank);

namespace internal {

// ---- Input checks: INVALID_ARGUMENT naming `field`. ----
absl::Status CheckId(absl::string_view value, absl::string_view field);
// Lot ids are inventory's: letters, digits and . _ - : (at most 64).
absl::Status CheckLotId(absl::string_view value, absl::string_view field);
absl::Status CheckText(absl::string_view value, absl::string_view field, bool required);
absl::Status CheckMetalCode(absl::string_view code, absl::string_view field);
absl::Status CheckCurrency(absl::string_view code, absl::string_view field);
absl::Status CheckDate(absl::CivilDay day, absl::string_view field);
absl::Status CheckContext(const Context& ctx);
absl::Status NotFound(absl::string_view reason, absl::string_view message);

// 32 hex digits: two 64-bit FNV-1a variants of `text`. Tells a retry from another request
// under the same id, and names pledges; not a security boundary.
std::string Fingerprint(absl::string_view text);

// Records under `keys` (any number; read in chunks at one sequence number).
absl::StatusOr<ledger::RecordSet> ReadRecords(ledger::Ledger& ledger,
                                              const std::vector<std::string>& keys,
                                              ledger::ReadOptions options = {});
// Every live record under `prefix` at one sequence number; RESOURCE_EXHAUSTED beyond `max`.
absl::StatusOr<ledger::RecordPage> ScanAll(ledger::Ledger& ledger, absl::string_view prefix,
                                           size_t max, ledger::ReadOptions options = {});

// One page of records under `prefix` whose decoded value passes `keep` (scanning at most
// kMaxScanPerPage records; the page may come back short with a token). An unusable token
// is INVALID_ARGUMENT "page_token".
absl::StatusOr<ledger::RecordPage> FilteredPage(
    ledger::Ledger& ledger, absl::string_view prefix, size_t page_size,
    const std::string& page_token,
    const std::function<absl::StatusOr<bool>(const ledger::Record&)>& keep);

// Accumulates postings per account; Finish appends non-zero sums and opens the accounts
// not yet opened by `tx`.
class Postings {
 public:
  void Post(const std::string& account, const std::string& unit, bool guarded, int64_t amount);
  void Move(const std::string& unit, const std::string& from, bool from_guarded,
            const std::string& to, bool to_guarded, int64_t amount);
  absl::Status Finish(ledger::Transaction& tx) const;

 private:
  std::map<std::string, std::pair<ledger::AccountSpec, int64_t>> accounts_;
  bool overflow_ = false;
};

// An idempotent mutation: read the receipt under `receipt_key`; if it exists with the same
// fingerprint return its response (replayed); other content is ALREADY_EXISTS
// REQUEST_ID_REUSED. Otherwise run `planner` (reads and decides, fills tx postings and
// writes, returns the response JSON text), add the receipt write and commit; ABORTED and
// races on guarded balances re-read and re-plan up to kMaxCommitAttempts times.
struct Plan {
  ledger::Transaction tx;  // request id, kind, principal and date are filled in by Mutate
  std::string response;    // JSON text stored in the receipt and returned
};
using Planner = std::function<absl::StatusOr<Plan>()>;
absl::StatusOr<Mutation<std::string>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                             const std::string& receipt_key,
                                             const std::string& ledger_request_id,
                                             absl::string_view kind, absl::string_view request_text,
                                             const Planner& planner);

// True for errors a re-read may cure: ABORTED (version conflict) and ALREADY_EXISTS (a
// concurrent retry of the same request committed first).
bool Retryable(const absl::Status& status);

// Days from `from` to `to` inclusive (0 when to < from).
int64_t DaysInclusive(absl::CivilDay from, absl::CivilDay to);

}  // namespace internal
}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_COMMON_H_
