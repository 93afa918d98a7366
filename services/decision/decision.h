// Decision domain rules (issue 5, DESIGN.md sections 1 and 5): market data, targets, annual
// ceilings, budgets, the approval policy, live recommendations, the optimiser, backtests,
// proposals, approvals and orders. Release auctions are in auctions.h.
//
// Plain C++ over the Ledger interface: no gRPC, protobuf or RocksDB here. The rules,
// optimiser and backtest are the pure engines of services/decision/engine; this class reads
// their inputs from the ledger (inventory's holdings, depots and price marks, this service's
// market data, targets, ceilings and budgets) and records decisions in it. Every mutation is
// one idempotent ledger transaction (mutation.h); limits that must hold under concurrency
// are guarded ledger accounts (orders.h).
//
// Errors: INVALID_ARGUMENT naming the request field; NOT_FOUND with the UNKNOWN_* reasons;
// FAILED_PRECONDITION with the reasons in `decision_reason` (orders.h); PERMISSION_DENIED
// (SELF_APPROVAL) when a proposer approves their own proposal. Ledger errors pass through.
//
// Thread safety: all methods may be called concurrently.
#ifndef RESERVE_SERVICES_DECISION_DECISION_H_
#define RESERVE_SERVICES_DECISION_DECISION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "services/decision/engine/backtest.h"
#include "services/decision/engine/optimizer.h"
#include "services/decision/engine/rules.h"
#include "services/decision/model.h"
#include "services/decision/mutation.h"
#include "services/decision/orders.h"
#include "services/inventory/inventory.h"
#include "storage/ledger.h"

namespace reserve::decision {

// Limits (INVALID_ARGUMENT or RESOURCE_EXHAUSTED at the boundary).
inline constexpr size_t kMaxMarketPointsPerImport = 4000;    // one record write each (< 4096)
inline constexpr size_t kMaxLinesPerProposal = 64;           // orders per approval
inline constexpr size_t kMaxProposalIdChars = 56;            // order ids add "-<line>"
inline constexpr size_t kMaxMarketPointsRead = 40'000;       // one series of one metal
inline constexpr size_t kMaxRecordsScannedPerList = 20'000;  // filter scan budget per page
inline constexpr int32_t kMaxCoverDays = 3650;               // ten years of consumption
inline constexpr int32_t kMaxWeight = 1000;                  // optimiser weights
inline constexpr int64_t kMaxBasisPoints = 10'000;
inline constexpr int32_t kDefaultHorizonMonths = 12;

struct DecisionOptions {
  // Used while no approval policy has been set (SetApprovalPolicy): above CNY 10 million a
  // proposal needs two approvers.
  ApprovalPolicy default_policy{1'000'000'000, "CNY"};
  // The rule set shared by live recommendations and backtests.
  engine::RuleSet rules;
};

struct TargetView {
  Target target;
  int64_t band_fund_available_minor = 0;
};

struct CeilingView {
  AnnualCeiling ceiling;
  int64_t acquire_remaining_g = 0;
  int64_t dispose_remaining_g = 0;
};

// Budget execution: appropriated = available + committed + spent.
struct BudgetView {
  int32_t year = 0;
  std::string currency;
  int64_t appropriated_minor = 0;
  int64_t available_minor = 0;
  int64_t committed_minor = 0;
  int64_t spent_minor = 0;
};

struct MarketPage {
  std::vector<MarketPoint> points;
  std::string next_page_token;
};

struct MarketPointVersion {
  ledger::Seq seq = 0;
  std::string principal;
  MarketPoint point;
};

struct RecommendationQuery {
  absl::CivilDay date;
  std::vector<std::string> metals;  // empty: every metal with a target
  std::string currency = "CNY";
};

// One metal's recommendation with the inputs behind it that the engine does not echo.
struct LiveRecommendation {
  engine::Recommendation recommendation;
  int64_t held_g = 0;
  int64_t consumption_g_per_year = 0;
};

struct Recommendations {
  absl::CivilDay date;
  std::string currency;
  int64_t budget_remaining_minor = 0;
  std::vector<LiveRecommendation> metals;  // metal-code order
};

struct OptimiseQuery {
  int32_t year = 0;
  absl::CivilDay date;
  int64_t budget_minor = 0;  // 0: the year's available budget
  std::string currency = "CNY";
  std::vector<std::string> metals;                      // empty: every metal with a target
  int64_t market_impact_cap_bp = 0;                     // 0: the rule set's share
  int32_t months = 0;                                   // 0: kDefaultHorizonMonths
  std::map<std::string, int64_t> handling_minor_per_t;  // per depot; absent: 0
};

struct Optimisation {
  engine::OptimizerResult result;
  int64_t budget_minor = 0;
  std::string currency;
};

struct BacktestQuery {
  std::vector<std::string> metals;  // empty: every metal with price marks in the currency
  std::optional<absl::CivilMonth> first_month;  // none: the first month with every price
  std::optional<absl::CivilMonth> last_month;   // none: the last such month
  std::string currency = "CNY";
  std::map<std::string, int64_t> consumption_g_per_year;  // absent: latest observation
  int64_t budget_minor_per_year = 0;
  std::vector<Target> targets;  // override the stored targets
  std::map<std::string, int64_t> initial_holdings_g;
  std::map<std::string, int64_t> acquisition_ceiling_g_per_year;  // absent: unlimited
  std::map<std::string, int64_t> disposal_ceiling_g_per_year;     // absent: unlimited
  bool release_proceeds_to_budget = false;
};

// What CreateProposal is asked for: a proposal written by hand (`proposal.lines`), or lines
// computed from recommendations or from the optimiser.
struct ProposalRequest {
  Proposal proposal;  // id, title, rationale, source, currency, period, funding, lines
  std::optional<RecommendationQuery> from_recommendations;
  std::optional<OptimiseQuery> from_optimiser;
};

struct ProposalPage {
  std::vector<Proposal> proposals;
  std::string next_page_token;
};

struct OrderPage {
  std::vector<OrderView> orders;
  std::string next_page_token;
};

class Decision {
 public:
  // Creates the domain over `ledger` with its own OrderBook and an Inventory domain object
  // that executes orders through it (Inventory::Create seeds the catalog on first use, so
  // setup can fail).
  static absl::StatusOr<std::unique_ptr<Decision>> Create(ledger::Ledger& ledger,
                                                          DecisionOptions options = {});

  Decision(const Decision&) = delete;
  Decision& operator=(const Decision&) = delete;

  OrderBook& order_book() { return *order_book_; }
  inventory::Inventory& inventory() { return *inventory_; }

  // ---- Market data ----
  // Adding a point for an existing (series, metal, date) replaces it; the journal keeps the
  // earlier value (MarketPointHistory).
  absl::StatusOr<Mutation<size_t>> AddMarketData(const Context& ctx,
                                                 const std::vector<MarketPoint>& points);
  // CSV with header "series,metal,date,value,source" (any order; RFC 4180); consumption
  // values in tonnes per year (exact decimals, up to 6 places), the others in basis points.
  absl::StatusOr<Mutation<size_t>> ImportMarketDataCsv(const Context& ctx, absl::string_view csv);
  absl::StatusOr<MarketPage> ListMarketData(MarketSeries series, absl::string_view metal,
                                            absl::CivilDay from, absl::CivilDay to,
                                            size_t page_size, const std::string& page_token);
  absl::StatusOr<std::vector<MarketPointVersion>> MarketPointHistory(MarketSeries series,
                                                                     absl::string_view metal,
                                                                     absl::CivilDay date);

  // ---- Targets, ceilings, budgets, policy ----
  // Setting a band funds (or drains) the metal's guarded band-fund account by the change in
  // the funding limit; lowering it below what orders already committed is
  // BAND_BELOW_COMMITTED.
  absl::StatusOr<Mutation<TargetView>> SetTarget(const Context& ctx, const Target& target);
  absl::StatusOr<TargetView> GetTarget(absl::string_view metal);
  absl::StatusOr<std::vector<TargetView>> ListTargets();
  // Funds (or drains) the guarded ceiling accounts by the change; below what was already
  // used is CEILING_BELOW_USED.
  absl::StatusOr<Mutation<CeilingView>> SetAnnualCeiling(const Context& ctx,
                                                         const AnnualCeiling& ceiling);
  absl::StatusOr<std::vector<CeilingView>> ListAnnualCeilings(int32_t year);
  // Funds (or drains) the year's guarded budget account; below what orders committed is
  // BUDGET_BELOW_COMMITTED; another currency than the year's is BUDGET_CURRENCY.
  absl::StatusOr<Mutation<BudgetView>> SetBudget(const Context& ctx, const Budget& budget);
  absl::StatusOr<BudgetView> GetBudget(int32_t year);
  absl::StatusOr<Mutation<ApprovalPolicy>> SetApprovalPolicy(const Context& ctx,
                                                             const ApprovalPolicy& policy);
  absl::StatusOr<ApprovalPolicy> GetApprovalPolicy();

  // ---- Analysis (reads only) ----
  absl::StatusOr<Recommendations> Recommend(const RecommendationQuery& query);
  absl::StatusOr<Optimisation> Optimise(const OptimiseQuery& query);
  absl::StatusOr<engine::BacktestResult> Backtest(const BacktestQuery& query);

  // ---- Proposals and approvals ----
  absl::StatusOr<Mutation<Proposal>> CreateProposal(const Context& ctx,
                                                    const ProposalRequest& request);
  // Records the approval; the last one needed creates the orders in the same transaction
  // (funding them from the budget or band fund). PERMISSION_DENIED SELF_APPROVAL for the
  // proposer; ALREADY_APPROVED for a second approval by the same approver.
  absl::StatusOr<Mutation<Proposal>> ApproveProposal(const Context& ctx, absl::string_view id,
                                                     absl::string_view comment);
  absl::StatusOr<Mutation<Proposal>> RejectProposal(const Context& ctx, absl::string_view id,
                                                    absl::string_view reason);
  absl::StatusOr<Proposal> GetProposal(absl::string_view id);
  absl::StatusOr<ProposalPage> ListProposals(ProposalStatus status, size_t page_size,
                                             const std::string& page_token);

  // ---- Orders ----
  absl::StatusOr<OrderView> GetOrder(absl::string_view id);
  absl::StatusOr<OrderPage> ListOrders(OrderStatus status, size_t page_size,
                                       const std::string& page_token);
  // Closes an open order: its unused quantity and money return to their pools.
  absl::StatusOr<Mutation<OrderView>> CloseOrder(const Context& ctx, absl::string_view id);

 private:
  Decision(ledger::Ledger& ledger, DecisionOptions options, std::unique_ptr<OrderBook> book,
           std::unique_ptr<inventory::Inventory> inventory)
      : ledger_(ledger),
        options_(std::move(options)),
        order_book_(std::move(book)),
        inventory_(std::move(inventory)) {}

  absl::Status CheckMetalExists(absl::string_view metal);
  absl::StatusOr<BudgetView> ReadBudget(int32_t year, std::optional<absl::CivilDay> as_of);
  absl::StatusOr<std::vector<std::string>> TargetMetals();
  absl::StatusOr<std::vector<ProposalLine>> ComputeLines(const ProposalRequest& request,
                                                         std::string& rationale);

  ledger::Ledger& ledger_;
  const DecisionOptions options_;
  const std::unique_ptr<OrderBook> order_book_;
  const std::unique_ptr<inventory::Inventory> inventory_;
};

}  // namespace reserve::decision

#endif  // RESERVE_SERVICES_DECISION_DECISION_H_
