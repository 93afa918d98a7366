// What the commercial-reserve and financing domains share: rejection reasons, limits, ledger
// keys and accounts, and their use of the domain kit (services/domain): the request context
// and mutation results, input checks, reads and the idempotent mutation, with commercial's
// contract (receipts, fingerprint, ids that reserve ':'). Plain C++ over storage/ledger.h.
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
#include "services/domain/checks.h"
#include "services/domain/context.h"
#include "services/domain/mutate.h"
#include "services/domain/postings.h"
#include "services/domain/reads.h"
#include "storage/ledger.h"

namespace reserve::commercial {

// Who asks, under which request id, effective on which business date; what a change
// returns (the domain kit's types).
using Context = domain::Context;
template <typename T>
using Mutation = domain::Mutation<T>;

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

// Limits (each enforced at the boundary with INVALID_ARGUMENT or RESOURCE_EXHAUSTED). Ids
// and text follow the domain kit's (services/domain/checks.h: 64 and 256 characters), as do
// the commit attempts (domain::kMaxCommitAttempts, 8).
inline constexpr size_t kMaxRequestIdChars = 160;   // receipt keys stay under 256 bytes
inline constexpr size_t kMaxLotsPerPledge = 100;    // a loan's collateral; one small tx
inline constexpr size_t kMaxLotsPerVerify = 1000;   // one ledger read (kMaxKeysPerRead)
inline constexpr size_t kMaxLotsPerDelivery = 100;  // one call-up delivery
inline constexpr size_t kMaxMetalsPerEnterprise = 20;
inline constexpr size_t kMaxDepotsPerEnterprise = 100;
inline constexpr size_t kMaxTermsPerIndex = 100;         // agreements per enterprise and metal
inline constexpr size_t kMaxCallUpsPerPledge = 100;      // call-ups remembered on one pledge
inline constexpr size_t kMaxExtensions = 100;            // extensions of one agreement
inline constexpr int64_t kMaxDaysPerQuery = 3660;        // compliance / statement periods: 10 years
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

// The domain kit's checks and reads, as both domains use them.
using domain::CheckCurrency;
using domain::CheckDate;
using domain::CheckMetalCode;
using domain::CheckText;
using domain::NotFound;
using domain::Plan;
using domain::ReadRecords;
using domain::ScanAll;
using domain::TxBuilder;

// Commercial ids (enterprises, agreements, banks, call-ups ...): the kit's rule with ':'
// reserved, because derived ids join them with it ("<bank>:<fingerprint>",
// "<enterprise>:<period>").
absl::Status CheckId(absl::string_view value, absl::string_view field);
// Lot and depot ids are inventory's: the kit's rule, ':' allowed.
absl::Status CheckLotId(absl::string_view value, absl::string_view field);
// The context check with commercial's request-id limit.
absl::Status CheckContext(const Context& ctx);

// 32 hex digits (the kit's Fnv128MixedHex): tells a retry from another request under the same
// id, and names pledges. An on-disk contract.
std::string Fingerprint(absl::string_view text);

// One idempotent mutation (the kit's Mutate): the receipt record and the ledger request id are
// both "<receipt_prefix><request id>"; the fingerprint covers kind, business date, principal
// and `request_text`. Planners answer with the JSON text of a record, which the receipt stores
// as a JSON string (commercial's receipt form) and this returns; DATA_LOSS when a stored
// answer is not a string.
absl::StatusOr<Mutation<std::string>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                             absl::string_view receipt_prefix,
                                             absl::string_view kind, absl::string_view request_text,
                                             const domain::Planner& planner);

// For the loops that commit transactions named by their content (a pledge, a mark-to-market
// chunk) rather than through Mutate: the kit's Retryable, and ALREADY_EXISTS (a concurrent
// or earlier commit under the same name, which the re-read finds).
bool RetryableOrRaced(const absl::Status& status);

// The journal entries in [from, head] that wrote a live record under `prefix`, in order,
// found through the records' histories instead of by reading the journal: a record whose
// current version is below `from` is passed over without reading its history. For catching
// up over a long stretch of journal, on prefixes whose records are never erased (pledges,
// price marks).
absl::StatusOr<std::vector<ledger::Seq>> EntriesWriting(ledger::Ledger& ledger,
                                                        absl::string_view prefix,
                                                        ledger::Seq from, ledger::Seq head);

// The committed journal entry `seq` (INTERNAL if the journal does not have it: callers ask
// only for entries at or below a head they read).
absl::StatusOr<ledger::JournalEntry> ReadEntry(ledger::Ledger& ledger, ledger::Seq seq);

// Days from `from` to `to` inclusive (0 when to < from).
int64_t DaysInclusive(absl::CivilDay from, absl::CivilDay to);

}  // namespace internal
}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_COMMON_H_
