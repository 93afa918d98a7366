// Commercial-reserve and financing domain types: pilot enterprises, agreements, pledges,
// call-ups, subsidy statements, the financing price record (issue 4, DESIGN.md section 5).
//
// Plain C++ value types. Mass is integer grams, money integer minor units of `currency`,
// prices minor units per tonne, rates basis points. Every record type round-trips through
// JSON (model.cc); the JSON is what the ledger stores under the keys listed in README.md, so
// JSON field names and enum names are an on-disk contract: never rename one.
#ifndef RESERVE_SERVICES_COMMERCIAL_MODEL_H_
#define RESERVE_SERVICES_COMMERCIAL_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace reserve::commercial {

// Stored by name: never rename. Numbering matches the proto enums.
enum class CallUpPriceRule { kUnspecified = 0, kFixed = 1, kMarket = 2 };
enum class CallUpStatus { kUnspecified = 0, kOpen = 1, kFulfilled = 2 };
enum class StatementStatus { kUnspecified = 0, kIssued = 1, kPaid = 2 };
enum class Budget { kUnspecified = 0, kSubsidy = 1, kCallUp = 2 };
enum class PledgeStatus { kUnspecified = 0, kActive = 1, kReleased = 2, kEnforced = 3 };
// The event a pledge write raises for its bank (kNone: the write raises none).
enum class PledgeEventKind {
  kNone = 0,
  kCreated = 1,
  kMarginCall = 2,
  kCallUp = 3,
  kReleased = 4,
  kEnforced = 5,
  kCollateralCounted = 6,  // a stock count changed the mass of one of the pledge's lots
};

absl::string_view BudgetName(Budget b);  // "subsidy", "call-up"
absl::string_view PledgeStatusName(PledgeStatus s);
absl::string_view PledgeEventKindName(PledgeEventKind k);

struct Enterprise {
  std::string id;
  std::string name;
  std::string province;
  std::vector<std::string> metals;
  std::vector<std::string> depot_ids;
  absl::CivilDay enrolled_date;
  std::optional<absl::CivilDay> subsidised_through;  // last day of the last statement
  friend bool operator==(const Enterprise&, const Enterprise&) = default;
};

struct AgreementExtension {
  absl::CivilDay business_date;
  absl::CivilDay previous_end;
  absl::CivilDay new_end;
  friend bool operator==(const AgreementExtension&, const AgreementExtension&) = default;
};

struct Agreement {
  std::string id;
  std::string enterprise_id;
  std::string metal;
  int64_t committed_mass_g = 0;
  absl::CivilDay start_date;
  absl::CivilDay end_date;  // inclusive
  std::vector<std::string> depot_ids;
  std::string currency;
  int64_t storage_subsidy_minor_per_t_per_day = 0;
  int64_t interest_subsidy_bp = 0;
  int32_t call_up_notice_days = 0;
  CallUpPriceRule call_up_price_rule = CallUpPriceRule::kUnspecified;
  int64_t call_up_price_minor_per_t = 0;
  int64_t call_up_market_discount_bp = 0;
  bool pledged_lots_need_bank_consent = false;
  bool bank_paid_first = false;
  std::vector<AgreementExtension> extensions;
  friend bool operator==(const Agreement&, const Agreement&) = default;
};

// Every agreement of one enterprise for one metal, with its term and warehouses: what
// overlap checks and pledge creation read (one record instead of a scan).
struct AgreementTerm {
  std::string id;
  absl::CivilDay start_date;
  absl::CivilDay end_date;
  std::vector<std::string> depot_ids;
  friend bool operator==(const AgreementTerm&, const AgreementTerm&) = default;
};
struct AgreementIndex {
  std::vector<AgreementTerm> terms;
  friend bool operator==(const AgreementIndex&, const AgreementIndex&) = default;
};

// Principal outstanding from `from` on (until the next step, or the pledge's end).
struct PrincipalStep {
  absl::CivilDay from;
  int64_t principal_minor = 0;
  friend bool operator==(const PrincipalStep&, const PrincipalStep&) = default;
};

struct Pledge {
  std::string id;  // "<bank>:<32 hex>"
  std::string bank;
  std::string borrower;      // enterprise id = the lots' owner
  std::string agreement_id;  // the borrower's agreement covering the lots at creation, if any
  std::vector<std::string> lot_ids;
  std::string metal;
  std::string currency;
  int64_t collateral_mass_g = 0;
  int64_t principal_minor = 0;
  int64_t interest_rate_bp = 0;
  absl::CivilDay start_date;
  absl::CivilDay maturity_date;
  int64_t max_ltv_bp = 0;
  int64_t margin_call_ltv_bp = 0;
  std::string loan_reference;
  PledgeStatus status = PledgeStatus::kUnspecified;
  bool in_margin_call = false;
  int64_t marked_ltv_bp = 0;
  std::optional<absl::CivilDay> end_date;
  std::vector<std::string> call_up_ids;
  std::vector<std::string> consented_call_up_ids;
  std::vector<PrincipalStep> principal_history;
  std::string request_fp;  // fingerprint of the creating request (retries compare it)
  // The event this version of the record raises (kNone for none) and its detail: the
  // call-up id for kCallUp.
  PledgeEventKind event = PledgeEventKind::kNone;
  std::string event_ref;
  friend bool operator==(const Pledge&, const Pledge&) = default;
};

// The latest price of a metal in a currency as the financing service has marked it
// (written by the mark-to-market follower from the price-mark journal entry `source_seq`).
struct MarkedPrice {
  std::string metal;
  std::string currency;
  absl::CivilDay date;
  int64_t price_minor_per_t = 0;
  uint64_t source_seq = 0;
  friend bool operator==(const MarkedPrice&, const MarkedPrice&) = default;
};

// The durable trace of one mark to market: which price entry, how many pledges it
// evaluated, which crossed into or out of margin call.
struct MarkToMarketRecord {
  uint64_t source_seq = 0;
  std::vector<MarkedPrice> prices;
  int64_t pledges_evaluated = 0;
  std::vector<std::string> margin_calls;
  std::vector<std::string> cured;
  friend bool operator==(const MarkToMarketRecord&, const MarkToMarketRecord&) = default;
};

struct CallUpDelivery {
  std::string lot_id;
  int64_t mass_g = 0;
  absl::CivilDay business_date;
  bool late = false;
  int64_t paid_to_bank_minor = 0;
  std::string bank;
  int64_t paid_to_enterprise_minor = 0;
  friend bool operator==(const CallUpDelivery&, const CallUpDelivery&) = default;
};

struct CallUp {
  std::string id;
  std::string agreement_id;
  std::string enterprise_id;
  std::string metal;
  int64_t quantity_g = 0;
  absl::CivilDay issued_date;
  absl::CivilDay due_date;
  int64_t price_minor_per_t = 0;
  std::string currency;
  std::string state_owner;
  std::string reason;
  CallUpStatus status = CallUpStatus::kUnspecified;
  int64_t delivered_g = 0;
  int64_t delivered_late_g = 0;
  int64_t paid_minor = 0;
  std::vector<CallUpDelivery> deliveries;
  std::vector<std::string> affected_pledge_ids;
  friend bool operator==(const CallUp&, const CallUp&) = default;
};

struct SubsidyLine {
  std::string agreement_id;
  std::string metal;
  int64_t days_in_term = 0;
  int64_t held_gram_days = 0;
  int64_t storage_subsidy_minor = 0;
  int64_t financed_minor_days = 0;
  int64_t interest_subsidy_minor = 0;
  friend bool operator==(const SubsidyLine&, const SubsidyLine&) = default;
};

struct SubsidyStatement {
  std::string id;  // "<enterprise>:<YYYYMMDD>-<YYYYMMDD>"
  std::string enterprise_id;
  absl::CivilDay period_start;
  absl::CivilDay period_end;
  std::string currency;
  std::vector<SubsidyLine> lines;
  int64_t total_minor = 0;
  StatementStatus status = StatementStatus::kUnspecified;
  absl::CivilDay issued_date;
  std::optional<absl::CivilDay> paid_date;
  uint64_t as_of_seq = 0;
  friend bool operator==(const SubsidyStatement&, const SubsidyStatement&) = default;
};

// JSON encodings (the stored form). Decode returns DATA_LOSS for a malformed document.
std::string EncodeEnterprise(const Enterprise& e);
std::string EncodeAgreement(const Agreement& a);
std::string EncodeAgreementIndex(const AgreementIndex& i);
std::string EncodePledge(const Pledge& p);
std::string EncodeMarkedPrice(const MarkedPrice& p);
std::string EncodeMarkToMarket(const MarkToMarketRecord& r);
std::string EncodeCallUp(const CallUp& c);
std::string EncodeStatement(const SubsidyStatement& s);
absl::StatusOr<Enterprise> DecodeEnterprise(absl::string_view json);
absl::StatusOr<Agreement> DecodeAgreement(absl::string_view json);
absl::StatusOr<AgreementIndex> DecodeAgreementIndex(absl::string_view json);
absl::StatusOr<Pledge> DecodePledge(absl::string_view json);
absl::StatusOr<MarkedPrice> DecodeMarkedPrice(absl::string_view json);
absl::StatusOr<MarkToMarketRecord> DecodeMarkToMarket(absl::string_view json);
absl::StatusOr<CallUp> DecodeCallUp(absl::string_view json);
absl::StatusOr<SubsidyStatement> DecodeStatement(absl::string_view json);

}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_MODEL_H_
