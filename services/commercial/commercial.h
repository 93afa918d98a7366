// Commercial-reserve domain rules: pilot enterprises, agreements, compliance, subsidies,
// budgets and call-ups (issue 4, DESIGN.md sections 1 and 5; the Gansu 2020 scheme).
//
// Plain C++ over the Ledger interface: no gRPC, protobuf or RocksDB here. Every mutation is
// one ledger transaction planned from a read of current state and committed with
// compare-and-set; conflicts re-read and re-plan (kMaxCommitAttempts). Every mutation is
// idempotent under its request id (receipt record "commercial-request/<request_id>").
//
// Held mass is never claimed: it is the end-of-day balance of the ledger's stock accounts
// "stock/<metal>/<depot>/commercial/<enterprise>" for the agreement's warehouses, from the
// accounts' posting history (AccountHistory, cross-checked with GetBalancesAsOfDate).
//
// Thread safety: all methods may be called concurrently.
#ifndef RESERVE_SERVICES_COMMERCIAL_COMMERCIAL_H_
#define RESERVE_SERVICES_COMMERCIAL_COMMERCIAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/commercial/common.h"
#include "services/commercial/model.h"
#include "storage/ledger.h"

namespace reserve::commercial {

struct ComplianceDay {
  absl::CivilDay date;
  int64_t held_mass_g = 0;
  int64_t committed_mass_g = 0;  // 0 outside the term
  int64_t shortfall_g = 0;
};

struct Compliance {
  std::string agreement_id;
  std::vector<ComplianceDay> days;
  int64_t days_in_term = 0;
  int64_t min_held_mass_g = 0;
  ledger::Seq as_of_seq = 0;
};

struct CallUpRequest {
  std::string call_up_id;
  std::string agreement_id;
  int64_t quantity_g = 0;
  std::string state_owner;
  std::string reason;
};

struct BudgetBalance {
  Budget budget = Budget::kUnspecified;
  std::string currency;
  int64_t balance_minor = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

class CommercialReserve {
 public:
  explicit CommercialReserve(ledger::Ledger& ledger) : ledger_(ledger) {}
  CommercialReserve(const CommercialReserve&) = delete;
  CommercialReserve& operator=(const CommercialReserve&) = delete;

  // Enterprises. The enterprise's depots must exist and its metals be in the catalog
  // (NOT_FOUND UNKNOWN_DEPOT / UNKNOWN_METAL); ENTERPRISE_EXISTS.
  absl::StatusOr<Mutation<Enterprise>> EnrolEnterprise(const Context& ctx,
                                                       const Enterprise& enterprise);
  absl::StatusOr<Enterprise> GetEnterprise(const Scope& scope, absl::string_view id);
  absl::StatusOr<Page<Enterprise>> ListEnterprises(size_t page_size, const std::string& token);

  // Agreements. METAL_NOT_ENROLLED, DEPOT_NOT_ENROLLED, AGREEMENT_OVERLAP (another agreement
  // of the enterprise for the metal overlaps the term), AGREEMENT_EXISTS.
  absl::StatusOr<Mutation<Agreement>> CreateAgreement(const Context& ctx,
                                                      const Agreement& agreement);
  // NOT_EXTENDED unless the new end is after the current one; AGREEMENT_OVERLAP.
  absl::StatusOr<Mutation<Agreement>> ExtendAgreement(const Context& ctx,
                                                      absl::string_view agreement_id,
                                                      absl::CivilDay new_end);
  absl::StatusOr<Agreement> GetAgreement(const Scope& scope, absl::string_view id);
  absl::StatusOr<Page<Agreement>> ListAgreements(const Scope& scope, absl::string_view enterprise,
                                                 size_t page_size, const std::string& token);

  // Held mass per day against the commitment over [from, to] (at most kMaxDaysPerQuery days).
  absl::StatusOr<Compliance> GetCompliance(const Scope& scope, absl::string_view agreement_id,
                                           absl::CivilDay from, absl::CivilDay to);

  // Subsidies over [start, end] for every agreement of the enterprise, from balance history.
  // STATEMENT_PERIOD unless start is the day after the last statement's end; PERIOD_NOT_PAST
  // unless end is before the business date.
  absl::StatusOr<Mutation<SubsidyStatement>> IssueStatement(const Context& ctx,
                                                            absl::string_view enterprise,
                                                            absl::CivilDay start,
                                                            absl::CivilDay end);
  absl::StatusOr<SubsidyStatement> GetStatement(const Scope& scope, absl::string_view id);
  absl::StatusOr<Page<SubsidyStatement>> ListStatements(const Scope& scope,
                                                        absl::string_view enterprise,
                                                        size_t page_size, const std::string& token);
  // Pays a statement from the subsidy budget. STATEMENT_PAID, BUDGET_INSUFFICIENT.
  absl::StatusOr<Mutation<SubsidyStatement>> PayStatement(const Context& ctx,
                                                          absl::string_view statement_id);

  // Moves `amount_minor` from the treasury into a budget (an admin act).
  absl::StatusOr<Mutation<BudgetBalance>> FundBudget(const Context& ctx, Budget budget,
                                                     absl::string_view currency,
                                                     int64_t amount_minor, absl::string_view memo);
  absl::StatusOr<BudgetBalance> GetBudget(Budget budget, absl::string_view currency);

  // Call-ups. OUTSIDE_TERM, ABOVE_COMMITMENT, NO_PRICE_MARK (market rule), CALL_UP_EXISTS.
  // Every active pledge on the enterprise's metal (and every enforced one under the
  // agreement) is told (a CALL_UP event to its bank).
  absl::StatusOr<Mutation<CallUp>> IssueCallUp(const Context& ctx, const CallUpRequest& request);
  // Whole lots delivered: title passes to the call-up's state owner (class central), the
  // state pays from the call-up budget at the call-up price; pledged lots follow the
  // agreement (bank consent, bank paid first). CALL_UP_FULFILLED, LOT_NOT_CALLABLE,
  // BANK_CONSENT_REQUIRED, DELIVERY_EXCEEDS_CALL_UP, BUDGET_INSUFFICIENT.
  absl::StatusOr<Mutation<CallUp>> RecordDelivery(const Context& ctx, absl::string_view call_up_id,
                                                  const std::vector<std::string>& lot_ids);
  absl::StatusOr<CallUp> GetCallUp(const Scope& scope, absl::string_view id);
  absl::StatusOr<Page<CallUp>> ListCallUps(const Scope& scope, absl::string_view agreement_id,
                                           size_t page_size, const std::string& token);
  // After the agreement's end: lifts the state's call-up right from lots banks took on
  // default (AGREEMENT_IN_TERM before). Returns the lots.
  absl::StatusOr<Mutation<std::vector<std::string>>> LiftCallUpRights(
      const Context& ctx, absl::string_view agreement_id);

 private:
  ledger::Ledger& ledger_;
};

}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_COMMERCIAL_H_
