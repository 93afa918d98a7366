// DecisionService end to end: a real gRPC server on 127.0.0.1:0 with bearer tokens hosting
// InventoryService (executing orders through the decision service's OrderBook, as reserved
// wires it) and DecisionService, over a RocksLedger in a temp dir ("embedded") or a
// RemoteLedger to an in-process LedgerService ("split"). A fake clock drives auction windows
// and deadlines. Exact status codes and reasons throughout.
#include "services/decision/decision_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reserve/v1/decision.grpc.pb.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "services/decision/engine/price_table.h"
#include "services/decision/orders.h"
#include "services/inventory/inventory_service.h"
#include "tests/support/service_env.h"

namespace reserve {
namespace {

using testing::Day;
using ::testing::ElementsAre;
using testing::Outcome;
using Dec = v1::DecisionService::Stub;
using Inv = v1::InventoryService::Stub;

constexpr int64_t kTonne = 1'000'000;
constexpr int64_t kYuan = 100;
constexpr char kTokens[] =
    "admin-token alice admin\n"
    "admin2-token carol admin\n"
    "zoe-token zoe admin,approver\n"
    "approver-token bob approver\n"
    "approver2-token dave approver\n"
    "finance-token fiona finance\n"
    "auditor-token audrey auditor\n";

int64_t Ms(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone()));
}

class DecisionServiceTest : public testing::ServiceTest {
 protected:
  DecisionServiceTest() : ServiceTest(kTokens, "decision_service_test") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ServiceTest::SetUp());
    // Wired as services/reserved/service_table.cc wires them.
    order_book_ = std::make_unique<decision::OrderBook>(ledger());
    inventory::InventoryOptions inventory_options;
    inventory_options.order_hook = order_book_.get();
    absl::StatusOr<std::unique_ptr<InventoryServiceImpl>> inv =
        InventoryServiceImpl::Create(ledger(), authorizer(), inventory_options);
    ASSERT_TRUE(inv.ok()) << inv.status();
    inventory_ = *std::move(inv);
    DecisionServiceOptions options;
    options.clock = [this] { return absl::FromUnixMillis(now_ms_.load()); };
    absl::StatusOr<std::unique_ptr<DecisionServiceImpl>> dec =
        DecisionServiceImpl::Create(ledger(), authorizer(), options);
    ASSERT_TRUE(dec.ok()) << dec.status();
    decision_ = *std::move(dec);
    auto server = testing::TestServer::Start({inventory_.get(), decision_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    inv_ = server_->NewStub<v1::InventoryService>();
    dec_ = server_->NewStub<v1::DecisionService>();
    MakeDepot("D1", 1'000'000);
  }

  template <typename Req, typename Resp>
  Outcome D(grpc::Status (Dec::*method)(grpc::ClientContext*, const Req&, Resp*),
            const Req& request, Resp* response, absl::string_view token = "admin-token") {
    return testing::CallAs(*dec_, method, request, response, token);
  }
  template <typename Req, typename Resp>
  Outcome I(grpc::Status (Inv::*method)(grpc::ClientContext*, const Req&, Resp*),
            const Req& request, Resp* response, absl::string_view token = "admin-token") {
    return testing::CallAs(*inv_, method, request, response, token);
  }

  uint64_t Head() {
    absl::StatusOr<ledger::Head> h = ledger().GetHead();
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? h->seq : 0;
  }

  int64_t Balance(const std::string& account) {
    absl::StatusOr<ledger::BalanceSet> b = ledger().GetBalances({account}, {});
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() && b->balances[0].exists ? b->balances[0].amount : 0;
  }

  void MakeDepot(const std::string& id, int64_t cu_t) {
    v1::CreateDepotRequest req;
    req.set_request_id("depot-" + id);
    v1::Depot* d = req.mutable_depot();
    d->set_depot_id(id);
    d->set_name("Depot " + id);
    d->set_province("Gansu");
    d->set_operator_name("NFSRA");
    d->set_kind(v1::DEPOT_KIND_STATE);
    (*d->mutable_capacity_g())["CU"] = cu_t * kTonne;
    (*d->mutable_capacity_g())["AL"] = cu_t * kTonne;
    v1::DepotResponse resp;
    Outcome o = I(&Inv::CreateDepot, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  static v1::Lot CopperLot(const std::string& id, int64_t tonnes, int64_t cost_per_t_minor,
                           const std::string& depot = "D1") {
    v1::Lot l;
    l.set_lot_id(id);
    l.set_metal("CU");
    l.set_grade("Cu-CATH-1");
    l.set_brand("Guixi");
    l.set_form("cathode");
    l.set_pieces(10);
    l.set_net_mass_g(tonnes * kTonne);
    l.set_gross_mass_g(tonnes * kTonne + 500);
    l.set_depot_id(depot);
    l.set_year_produced(2020);
    l.set_year_stored(2021);
    l.set_cost_minor(tonnes * cost_per_t_minor);
    l.set_currency("CNY");
    l.set_reserve_class(v1::RESERVE_CLASS_CENTRAL);
    l.set_owner("state");
    return l;
  }

  Outcome Acquire(const std::string& rid, std::vector<v1::Lot> lots, const std::string& order,
                  v1::Date date = Day(2024, 3, 1)) {
    v1::AcquireLotsRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = date;
    for (v1::Lot& l : lots) *req.add_lots() = l;
    req.set_order_id(order);
    v1::AcquireLotsResponse resp;
    return I(&Inv::AcquireLots, req, &resp);
  }

  int64_t HeldCu() {
    v1::GetHoldingsRequest req;
    req.set_metal("CU");
    v1::GetHoldingsResponse resp;
    EXPECT_TRUE(I(&Inv::GetHoldings, req, &resp, "finance-token").status.ok());
    int64_t total = 0;
    for (const v1::HoldingRow& r : resp.rows()) total += r.mass_g();
    return total;
  }

  void SetBudget(int year, int64_t amount_minor) {
    v1::SetBudgetRequest req;
    req.set_request_id(absl::StrCat("budget-", year, "-", amount_minor));
    req.set_year(year);
    req.set_currency("CNY");
    req.set_amount_minor(amount_minor);
    v1::BudgetResponse resp;
    Outcome o = D(&Dec::SetBudget, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  void SetCeiling(const std::string& metal, int year, int64_t acquire_t, int64_t dispose_t) {
    v1::SetAnnualCeilingRequest req;
    req.set_request_id(absl::StrCat("ceiling-", metal, year, "-", acquire_t, "-", dispose_t));
    req.mutable_ceiling()->set_metal(metal);
    req.mutable_ceiling()->set_year(year);
    req.mutable_ceiling()->set_acquire_ceiling_g(acquire_t * kTonne);
    req.mutable_ceiling()->set_dispose_ceiling_g(dispose_t * kTonne);
    v1::CeilingResponse resp;
    Outcome o = D(&Dec::SetAnnualCeiling, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  static v1::ProposalLine Line(v1::OrderDirection dir, const std::string& metal, int64_t tonnes,
                               int64_t price_limit_minor_per_t, int64_t amount_minor) {
    v1::ProposalLine l;
    l.set_direction(dir);
    l.set_metal(metal);
    l.set_quantity_g(tonnes * kTonne);
    l.set_price_limit_minor_per_t(price_limit_minor_per_t);
    l.set_amount_minor(amount_minor);
    return l;
  }

  v1::CreateProposalRequest ProposalRequest(const std::string& id,
                                            std::vector<v1::ProposalLine> lines) {
    v1::CreateProposalRequest req;
    req.set_request_id("create-" + id);
    *req.mutable_business_date() = Day(2024, 2, 1);
    v1::Proposal* p = req.mutable_proposal();
    p->set_proposal_id(id);
    p->set_title("Proposal " + id);
    p->set_rationale("test");
    p->set_currency("CNY");
    *p->mutable_valid_from() = Day(2024, 2, 1);
    *p->mutable_valid_to() = Day(2024, 12, 31);
    p->set_funding(v1::FUNDING_BUDGET);
    for (v1::ProposalLine& l : lines) *p->add_lines() = l;
    return req;
  }

  Outcome Approve(const std::string& id, const std::string& token, v1::ProposalResponse* resp,
                  const std::string& rid = "") {
    v1::ApproveProposalRequest req;
    req.set_request_id(rid.empty() ? absl::StrCat("approve-", id, "-", token) : rid);
    *req.mutable_business_date() = Day(2024, 2, 2);
    req.set_proposal_id(id);
    req.set_comment("ok");
    return D(&Dec::ApproveProposal, req, resp, token);
  }

  // Creates a one-line proposal and approves it (by bob, and dave when two are needed);
  // returns the order id.
  std::string MakeOrder(const std::string& id, v1::ProposalLine line) {
    v1::ProposalResponse created;
    Outcome o = D(&Dec::CreateProposal, ProposalRequest(id, {line}), &created);
    EXPECT_TRUE(o.status.ok()) << o.status;
    v1::ProposalResponse approved;
    o = Approve(id, "approver-token", &approved);
    EXPECT_TRUE(o.status.ok()) << o.status;
    if (approved.proposal().required_approvals() == 2) {
      o = Approve(id, "approver2-token", &approved);
      EXPECT_TRUE(o.status.ok()) << o.status;
    }
    EXPECT_EQ(approved.proposal().status(), v1::PROPOSAL_STATUS_APPROVED);
    return approved.proposal().order_ids_size() == 1 ? approved.proposal().order_ids(0) : "";
  }

  v1::Order GetOrder(const std::string& id) {
    v1::GetOrderRequest req;
    req.set_order_id(id);
    v1::Order out;
    Outcome o = D(&Dec::GetOrder, req, &out, "finance-token");
    EXPECT_TRUE(o.status.ok()) << o.status;
    return out;
  }

  v1::Lot GetLot(const std::string& id) {
    v1::GetLotRequest req;
    req.set_lot_id(id);
    v1::Lot out;
    EXPECT_TRUE(I(&Inv::GetLot, req, &out).status.ok());
    return out;
  }

  // Destroyed in reverse: the server shuts down before the services go.
  std::atomic<int64_t> now_ms_{Ms(2024, 3, 1, 9)};
  std::unique_ptr<decision::OrderBook> order_book_;
  std::unique_ptr<InventoryServiceImpl> inventory_;
  std::unique_ptr<DecisionServiceImpl> decision_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<Inv> inv_;
  std::unique_ptr<Dec> dec_;
};

// ---- Approvals ----

TEST_P(DecisionServiceTest, SelfApprovalIsRefusedAndWritesNothing) {
  SetBudget(2024, 1'000'000'000 * kYuan);
  v1::ProposalResponse created;
  ASSERT_TRUE(D(&Dec::CreateProposal,
                ProposalRequest("P-self", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 10,
                                                70'000 * kYuan, 700'000 * kYuan)}),
                &created, "zoe-token")
                  .status.ok());
  EXPECT_EQ(created.proposal().proposer(), "zoe");
  EXPECT_EQ(created.proposal().required_approvals(), 1);
  uint64_t head = Head();
  v1::ProposalResponse approved;
  Outcome self = Approve("P-self", "zoe-token", &approved);
  EXPECT_EQ(self.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(self.reason(), "SELF_APPROVAL");
  EXPECT_EQ(Head(), head);
  // An admin without the approver role cannot call ApproveProposal at all.
  EXPECT_EQ(Approve("P-self", "admin-token", &approved).code(),
            absl::StatusCode::kPermissionDenied);
  v1::GetProposalRequest get;
  get.set_proposal_id("P-self");
  v1::Proposal p;
  ASSERT_TRUE(D(&Dec::GetProposal, get, &p, "finance-token").status.ok());
  EXPECT_EQ(p.status(), v1::PROPOSAL_STATUS_PENDING);
  EXPECT_EQ(p.approvals_size(), 0);
  // Someone else may approve it.
  ASSERT_TRUE(Approve("P-self", "approver-token", &approved).status.ok());
  EXPECT_EQ(approved.proposal().status(), v1::PROPOSAL_STATUS_APPROVED);
  EXPECT_THAT(approved.proposal().order_ids(), ElementsAre("P-self-1"));
}

TEST_P(DecisionServiceTest, AboveTheThresholdTwoDistinctApproversAreNeeded) {
  SetBudget(2024, 10'000'000'000 * kYuan);
  v1::SetApprovalPolicyRequest policy;
  policy.set_request_id("policy");
  policy.mutable_policy()->set_two_approver_threshold_minor(50'000'000 * kYuan);
  policy.mutable_policy()->set_currency("CNY");
  v1::ApprovalPolicyResponse set;
  ASSERT_TRUE(D(&Dec::SetApprovalPolicy, policy, &set).status.ok());

  // 1,000 t at 70,000 CNY/t = 70 million CNY > 50 million: two approvers.
  v1::ProposalResponse created;
  ASSERT_TRUE(D(&Dec::CreateProposal,
                ProposalRequest("P-big", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 1000,
                                               70'000 * kYuan, 70'000'000 * kYuan)}),
                &created)
                  .status.ok());
  EXPECT_EQ(created.proposal().value_minor(), 70'000'000 * kYuan);
  EXPECT_EQ(created.proposal().required_approvals(), 2);
  v1::ProposalResponse r;
  ASSERT_TRUE(Approve("P-big", "approver-token", &r).status.ok());
  EXPECT_EQ(r.proposal().status(), v1::PROPOSAL_STATUS_PENDING);
  EXPECT_EQ(r.proposal().approvals_size(), 1);
  EXPECT_EQ(r.proposal().order_ids_size(), 0);
  v1::BudgetResponse budget;
  v1::GetBudgetRequest get_budget;
  get_budget.set_year(2024);
  ASSERT_TRUE(D(&Dec::GetBudget, get_budget, &budget, "finance-token").status.ok());
  EXPECT_EQ(budget.budget().committed_minor(), 0);
  // The same approver again, under a new request id: refused, nothing written.
  uint64_t head = Head();
  Outcome again = Approve("P-big", "approver-token", &r, "approve-again");
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.reason(), "ALREADY_APPROVED");
  EXPECT_EQ(Head(), head);
  // A second, different approver: approved, the order is created and funded.
  ASSERT_TRUE(Approve("P-big", "approver2-token", &r).status.ok());
  EXPECT_EQ(r.proposal().status(), v1::PROPOSAL_STATUS_APPROVED);
  ASSERT_EQ(r.proposal().approvals_size(), 2);
  EXPECT_EQ(r.proposal().approvals(0).approver(), "bob");
  EXPECT_EQ(r.proposal().approvals(1).approver(), "dave");
  ASSERT_THAT(r.proposal().order_ids(), ElementsAre("P-big-1"));
  v1::Order order = GetOrder("P-big-1");
  EXPECT_EQ(order.remaining_quantity_g(), 1000 * kTonne);
  EXPECT_EQ(order.remaining_amount_minor(), 70'000'000 * kYuan);
  ASSERT_TRUE(D(&Dec::GetBudget, get_budget, &budget, "finance-token").status.ok());
  EXPECT_EQ(budget.budget().committed_minor(), 70'000'000 * kYuan);
  EXPECT_EQ(budget.budget().available_minor(), 9'930'000'000 * kYuan);
  // A third approval: the proposal is no longer pending.
  EXPECT_EQ(Approve("P-big", "zoe-token", &r).reason(), "PROPOSAL_NOT_PENDING");

  // Below the threshold one approver is enough.
  ASSERT_TRUE(D(&Dec::CreateProposal,
                ProposalRequest("P-small", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 100,
                                                 70'000 * kYuan, 7'000'000 * kYuan)}),
                &created)
                  .status.ok());
  EXPECT_EQ(created.proposal().required_approvals(), 1);
  ASSERT_TRUE(Approve("P-small", "approver-token", &r).status.ok());
  EXPECT_EQ(r.proposal().status(), v1::PROPOSAL_STATUS_APPROVED);

  // More than the budget has left: refused at the final approval, nothing written.
  ASSERT_TRUE(D(&Dec::CreateProposal,
                ProposalRequest("P-huge", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 100'000,
                                                70'000 * kYuan, 9'999'000'000 * kYuan)}),
                &created)
                  .status.ok());
  ASSERT_TRUE(Approve("P-huge", "approver-token", &r).status.ok());
  head = Head();
  Outcome over = Approve("P-huge", "approver2-token", &r);
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(over.reason(), "BUDGET_EXCEEDED");
  EXPECT_EQ(Head(), head);
  // Rejection by an approver.
  v1::RejectProposalRequest reject;
  reject.set_request_id("reject-huge");
  reject.set_proposal_id("P-huge");
  reject.set_reason("exceeds the budget");
  ASSERT_TRUE(D(&Dec::RejectProposal, reject, &r, "approver2-token").status.ok());
  EXPECT_EQ(r.proposal().status(), v1::PROPOSAL_STATUS_REJECTED);
  EXPECT_EQ(r.proposal().rejected_by(), "dave");
}

// ---- Orders executed by inventory ----

TEST_P(DecisionServiceTest, ConcurrentAcquisitionsAgainstOneOrderNeverOverdrawIt) {
  SetBudget(2024, 1'000'000'000 * kYuan);
  SetCeiling("CU", 2024, 1000, 1000);
  // 25 t at most, at most 70,000 CNY/t, at most 1,750,000 CNY.
  std::string order = MakeOrder(
      "P-race", Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 25, 70'000 * kYuan, 1'750'000 * kYuan));
  ASSERT_EQ(order, "P-race-1");
  constexpr int kClients = 40;
  std::atomic<int> ok{0};
  std::vector<int> failed;
  std::mutex failed_mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Outcome o = Acquire(absl::StrCat("race-", i),
                          {CopperLot(absl::StrCat("R-", i), 1, 68'000 * kYuan)}, order);
      if (o.status.ok()) {
        ++ok;
        return;
      }
      // Out of quantity (a re-read saw it), or the retries ran out while others took it.
      bool expected =
          o.code() == absl::StatusCode::kAborted ||
          (o.code() == absl::StatusCode::kFailedPrecondition &&
           (o.reason() == "ORDER_QUANTITY_EXCEEDED" || o.reason() == "INSUFFICIENT_BALANCE"));
      EXPECT_TRUE(expected) << o.status;
      std::lock_guard<std::mutex> lock(failed_mu);
      failed.push_back(i);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(ok.load(), 25);
  EXPECT_EQ(ok.load() + static_cast<int>(failed.size()), kClients);
  // Retry the refused ones one by one: exactly 25 t in all, never more.
  int total = ok.load();
  for (int i : failed) {
    Outcome o = Acquire(absl::StrCat("retry-", i),
                        {CopperLot(absl::StrCat("R-", i), 1, 68'000 * kYuan)}, order);
    if (o.status.ok()) {
      ++total;
    } else {
      EXPECT_EQ(o.code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(o.reason(), "ORDER_QUANTITY_EXCEEDED") << o.status;
    }
  }
  EXPECT_EQ(total, 25);
  EXPECT_EQ(HeldCu(), 25 * kTonne);
  v1::Order after = GetOrder(order);
  EXPECT_EQ(after.remaining_quantity_g(), 0);
  EXPECT_EQ(after.remaining_amount_minor(), 1'750'000 * kYuan - 25 * 68'000 * kYuan);
  v1::GetBudgetRequest get_budget;
  get_budget.set_year(2024);
  v1::BudgetResponse budget;
  ASSERT_TRUE(D(&Dec::GetBudget, get_budget, &budget, "finance-token").status.ok());
  EXPECT_EQ(budget.budget().spent_minor(), 25 * 68'000 * kYuan);
  EXPECT_EQ(budget.budget().committed_minor(), 1'750'000 * kYuan - 25 * 68'000 * kYuan);
  // The ledger's own guard: the order's quantity account is exactly empty.
  EXPECT_EQ(Balance("decision/order/P-race-1/quantity"), 0);
  EXPECT_EQ(Balance("decision/ceiling/CU/2024/acquire"), 975 * kTonne);
}

TEST_P(DecisionServiceTest, OrdersBindPriceMoneyCeilingPeriodAndMetal) {
  SetBudget(2024, 1'000'000'000 * kYuan);
  SetCeiling("CU", 2024, 30, 0);
  std::string a = MakeOrder(
      "P-a", Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 20, 70'000 * kYuan, 1'000'000 * kYuan));
  std::string b = MakeOrder(
      "P-b", Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 20, 70'000 * kYuan, 1'400'000 * kYuan));
  uint64_t head = Head();
  auto refused = [&](const std::string& rid, std::vector<v1::Lot> lots, const std::string& order,
                     absl::StatusCode code, const std::string& reason,
                     v1::Date date = Day(2024, 3, 1)) {
    Outcome o = Acquire(rid, std::move(lots), order, date);
    EXPECT_EQ(o.code(), code) << rid << ": " << o.status;
    EXPECT_EQ(o.reason(), reason) << rid;
    EXPECT_EQ(Head(), head) << rid << " wrote something";
  };
  // Average price above the limit.
  refused("x1", {CopperLot("X1", 2, 71'000 * kYuan)}, a, absl::StatusCode::kFailedPrecondition,
          "ORDER_PRICE_LIMIT");
  // More money than the order holds (16 t at 69,000 = 1,104,000 > 1,000,000).
  refused("x2", {CopperLot("X2", 16, 69'000 * kYuan)}, a, absl::StatusCode::kFailedPrecondition,
          "ORDER_MONEY_EXCEEDED");
  // Outside the period, unknown order, wrong metal.
  refused("x3", {CopperLot("X3", 1, 60'000 * kYuan)}, a, absl::StatusCode::kFailedPrecondition,
          "ORDER_PERIOD", Day(2025, 1, 5));
  refused("x4", {CopperLot("X4", 1, 60'000 * kYuan)}, "P-none-1", absl::StatusCode::kNotFound,
          "UNKNOWN_ORDER");
  v1::Lot al = CopperLot("X5", 1, 15'000 * kYuan);
  al.set_metal("AL");
  al.set_grade("Al99.70");
  refused("x5", {al}, a, absl::StatusCode::kFailedPrecondition, "ORDER_METAL");
  // Within everything: 15 t on a, then 15 t more on b would pass b's quantity but not the
  // annual ceiling of 30 t shared by both orders... after a second 10 t.
  ASSERT_TRUE(Acquire("ok1", {CopperLot("OK1", 15, 60'000 * kYuan)}, a).status.ok());
  ASSERT_TRUE(Acquire("ok2", {CopperLot("OK2", 10, 60'000 * kYuan)}, b).status.ok());
  head = Head();
  refused("x6", {CopperLot("X6", 10, 60'000 * kYuan)}, b, absl::StatusCode::kFailedPrecondition,
          "CEILING_EXCEEDED");
  ASSERT_TRUE(Acquire("ok3", {CopperLot("OK3", 5, 60'000 * kYuan)}, b).status.ok());
  // Releases need a release order.
  v1::ReleaseLotsRequest rel;
  rel.set_request_id("rel-on-acquire-order");
  *rel.mutable_business_date() = Day(2024, 3, 2);
  rel.add_lines()->set_lot_id("OK1");
  rel.set_buyer("Buyer");
  rel.set_reference("ref");
  rel.set_order_id(a);
  v1::ReleaseLotsResponse released;
  EXPECT_EQ(I(&Inv::ReleaseLots, rel, &released).reason(), "ORDER_DIRECTION");
  // Closing returns what is left to the budget; a closed order executes nothing.
  v1::CloseOrderRequest close;
  close.set_request_id("close-a");
  close.set_order_id(a);
  v1::OrderResponse closed;
  ASSERT_TRUE(D(&Dec::CloseOrder, close, &closed).status.ok());
  EXPECT_EQ(closed.order().status(), v1::ORDER_STATUS_CLOSED);
  EXPECT_EQ(GetOrder(a).remaining_amount_minor(), 0);
  v1::GetBudgetRequest get_budget;
  get_budget.set_year(2024);
  v1::BudgetResponse budget;
  ASSERT_TRUE(D(&Dec::GetBudget, get_budget, &budget).status.ok());
  EXPECT_EQ(budget.budget().spent_minor(), 30 * 60'000 * kYuan);
  EXPECT_EQ(budget.budget().committed_minor(), 1'400'000 * kYuan - 15 * 60'000 * kYuan);
  EXPECT_EQ(
      budget.budget().available_minor(),
      1'000'000'000 * kYuan - budget.budget().committed_minor() - budget.budget().spent_minor());
  EXPECT_EQ(Acquire("x7", {CopperLot("X7", 1, 60'000 * kYuan)}, a).reason(), "ORDER_CLOSED");
}

TEST_P(DecisionServiceTest, PriceBandFundBudgetAndCeilingsAreHardLimits) {
  SetBudget(2024, 1'000'000 * kYuan);
  SetCeiling("CU", 2024, 100, 100);
  v1::SetTargetRequest target;
  target.set_request_id("target-band");
  v1::Target* t = target.mutable_target();
  t->set_metal("CU");
  t->set_cover_min_days(10);
  t->set_cover_target_days(20);
  t->set_cover_max_days(30);
  t->mutable_band()->set_floor_minor_per_t(55'000 * kYuan);
  t->mutable_band()->set_ceiling_minor_per_t(75'000 * kYuan);
  t->mutable_band()->set_currency("CNY");
  t->mutable_band()->set_funding_limit_minor(1'000'000 * kYuan);
  v1::TargetResponse set;
  ASSERT_TRUE(D(&Dec::SetTarget, target, &set).status.ok());
  EXPECT_EQ(set.band_fund_available_minor(), 1'000'000 * kYuan);
  // A band-funded purchase commits the band's fund, not the budget.
  v1::CreateProposalRequest band = ProposalRequest(
      "P-band", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 10, 56'000 * kYuan, 560'000 * kYuan)});
  band.mutable_proposal()->set_funding(v1::FUNDING_PRICE_BAND);
  v1::ProposalResponse p;
  ASSERT_TRUE(D(&Dec::CreateProposal, band, &p).status.ok());
  ASSERT_TRUE(Approve("P-band", "approver-token", &p).status.ok());
  v1::GetTargetRequest get;
  get.set_metal("CU");
  ASSERT_TRUE(D(&Dec::GetTarget, get, &set, "finance-token").status.ok());
  EXPECT_EQ(set.band_fund_available_minor(), 440'000 * kYuan);
  v1::GetBudgetRequest get_budget;
  get_budget.set_year(2024);
  v1::BudgetResponse budget;
  ASSERT_TRUE(D(&Dec::GetBudget, get_budget, &budget).status.ok());
  EXPECT_EQ(budget.budget().committed_minor(), 0);
  // The fund cannot be overcommitted, nor its limit lowered below what is committed.
  band = ProposalRequest(
      "P-band-2", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 10, 56'000 * kYuan, 500'000 * kYuan)});
  band.mutable_proposal()->set_funding(v1::FUNDING_PRICE_BAND);
  ASSERT_TRUE(D(&Dec::CreateProposal, band, &p).status.ok());
  uint64_t head = Head();
  EXPECT_EQ(Approve("P-band-2", "approver-token", &p).reason(), "BAND_FUND_EXCEEDED");
  target.set_request_id("target-band-lower");
  t->mutable_band()->set_funding_limit_minor(500'000 * kYuan);
  EXPECT_EQ(D(&Dec::SetTarget, target, &set).reason(), "BAND_BELOW_COMMITTED");
  // The budget and the ceilings cannot be set below what is already used.
  ASSERT_TRUE(Acquire("band-buy", {CopperLot("BB1", 10, 55'500 * kYuan)}, "P-band-1").status.ok());
  std::string order = MakeOrder(
      "P-budget", Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 10, 70'000 * kYuan, 700'000 * kYuan));
  ASSERT_EQ(order, "P-budget-1");
  head = Head();
  v1::SetBudgetRequest lower;
  lower.set_request_id("budget-lower");
  lower.set_year(2024);
  lower.set_currency("CNY");
  lower.set_amount_minor(600'000 * kYuan);
  EXPECT_EQ(D(&Dec::SetBudget, lower, &budget).reason(), "BUDGET_BELOW_COMMITTED");
  lower.set_request_id("budget-usd");
  lower.set_currency("USD");
  lower.set_amount_minor(2'000'000 * kYuan);
  EXPECT_EQ(D(&Dec::SetBudget, lower, &budget).reason(), "BUDGET_CURRENCY");
  v1::SetAnnualCeilingRequest ceiling;
  ceiling.set_request_id("ceiling-lower");
  ceiling.mutable_ceiling()->set_metal("CU");
  ceiling.mutable_ceiling()->set_year(2024);
  ceiling.mutable_ceiling()->set_acquire_ceiling_g(9 * kTonne);
  ceiling.mutable_ceiling()->set_dispose_ceiling_g(100 * kTonne);
  v1::CeilingResponse cr;
  EXPECT_EQ(D(&Dec::SetAnnualCeiling, ceiling, &cr).reason(), "CEILING_BELOW_USED");
  EXPECT_EQ(Head(), head);
  // A year without a budget approves nothing; without a ceiling, no order executes.
  v1::ProposalResponse r;
  v1::CreateProposalRequest y2025 = ProposalRequest(
      "P-2025b", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 1, 70'000 * kYuan, 70'000 * kYuan)});
  *y2025.mutable_proposal()->mutable_valid_from() = Day(2025, 1, 1);
  *y2025.mutable_proposal()->mutable_valid_to() = Day(2025, 12, 31);
  ASSERT_TRUE(D(&Dec::CreateProposal, y2025, &r).status.ok());
  EXPECT_EQ(Approve("P-2025b", "approver-token", &r).reason(), "BUDGET_NOT_SET");
  SetBudget(2025, 1'000'000 * kYuan);
  ASSERT_TRUE(Approve("P-2025b", "approver-token", &r, "approve-2025b-again").status.ok());
  EXPECT_EQ(
      Acquire("y2025", {CopperLot("Y1", 1, 60'000 * kYuan)}, "P-2025b-1", Day(2025, 2, 1)).reason(),
      "CEILING_NOT_SET");
}

TEST_P(DecisionServiceTest, ARotationConsumesItsReleaseAndAcquisitionOrders) {
  SetBudget(2024, 10'000'000 * kYuan);
  SetCeiling("CU", 2024, 100, 100);
  ASSERT_TRUE(
      Acquire("old", {CopperLot("OLD-1", 20, 30'000 * kYuan)}, "", Day(2024, 1, 5)).status.ok());
  std::string release =
      MakeOrder("P-rot-rel", Line(v1::ORDER_DIRECTION_RELEASE, "CU", 20, 50'000 * kYuan, 0));
  std::string acquire = MakeOrder(
      "P-rot-acq", Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 20, 70'000 * kYuan, 1'400'000 * kYuan));
  v1::RotateLotsRequest rotate;
  rotate.set_request_id("rotate-1");
  *rotate.mutable_business_date() = Day(2024, 3, 1);
  rotate.add_release_lines()->set_lot_id("OLD-1");
  rotate.set_buyer("Tongling Nonferrous");
  rotate.set_reference("rotation 2024-1");
  *rotate.add_acquire_lots() = CopperLot("NEW-1", 20, 68'000 * kYuan);
  rotate.set_release_order_id(release);
  rotate.set_acquire_order_id(acquire);
  v1::RotateLotsResponse rotated;
  Outcome o = I(&Inv::RotateLots, rotate, &rotated);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(GetOrder(release).remaining_quantity_g(), 0);
  EXPECT_EQ(GetOrder(acquire).remaining_quantity_g(), 0);
  EXPECT_EQ(GetOrder(acquire).remaining_amount_minor(), 1'400'000 * kYuan - 20 * 68'000 * kYuan);
  EXPECT_EQ(Balance("decision/ceiling/CU/2024/dispose"), 80 * kTonne);
  EXPECT_EQ(Balance("decision/ceiling/CU/2024/acquire"), 80 * kTonne);
  // The orders are used up: a second rotation naming them writes nothing.
  uint64_t head = Head();
  rotate.set_request_id("rotate-2");
  rotate.mutable_release_lines(0)->set_lot_id("NEW-1");
  rotate.mutable_acquire_lots(0)->set_lot_id("NEW-2");
  EXPECT_EQ(I(&Inv::RotateLots, rotate, &rotated).reason(), "ORDER_QUANTITY_EXCEEDED");
  EXPECT_EQ(Head(), head);
}

// ---- Release auctions ----

class AuctionTest : public DecisionServiceTest {
 protected:
  void SetUpAuction() {
    SetBudget(2024, 1'000'000'000 * kYuan);
    SetCeiling("CU", 2024, 10'000, 1000);
    // Stock to auction, bought outside any order.
    ASSERT_TRUE(
        Acquire("stock",
                {CopperLot("A1", 100, 50'000 * kYuan), CopperLot("A2", 150, 50'000 * kYuan),
                 CopperLot("A3", 200, 50'000 * kYuan), CopperLot("A4", 120, 50'000 * kYuan)},
                "", Day(2024, 1, 10))
            .status.ok());
    order_ = MakeOrder("P-rel", Line(v1::ORDER_DIRECTION_RELEASE, "CU", 600, 55'000 * kYuan, 0));
    ASSERT_EQ(order_, "P-rel-1");
    v1::CreateAuctionRequest req;
    req.set_request_id("auction-1");
    *req.mutable_business_date() = Day(2024, 3, 1);
    v1::Auction* a = req.mutable_auction();
    a->set_auction_id("AUC-1");
    a->set_title("2024 copper release, round 1");
    a->set_order_id(order_);
    a->set_currency("CNY");
    for (const char* lot : {"A1", "A2", "A3", "A4"}) {
      v1::AuctionLot* l = a->add_lots();
      l->set_lot_id(lot);
      l->set_reserve_price_minor_per_t(60'000 * kYuan);
    }
    *a->mutable_eligibility_cutoff() = Day(2024, 1, 1);
    a->set_deposit_minor(10'000 * kYuan);
    a->set_bidder_cap_g(250 * kTonne);
    a->set_bidding_opens_at_ms(Ms(2024, 3, 1, 10));
    a->set_bidding_closes_at_ms(Ms(2024, 3, 1, 11));
    a->set_payment_days(10);
    a->set_pickup_days(30);
    create_ = req;
    v1::AuctionResponse created;
    Outcome o = D(&Dec::CreateAuction, req, &created);
    ASSERT_TRUE(o.status.ok()) << o.status;
    EXPECT_EQ(created.auction().status(), v1::AUCTION_STATUS_OPEN);
    EXPECT_EQ(created.auction().metal(), "CU");
    EXPECT_EQ(created.auction().lots(2).mass_g(), 200 * kTonne);
  }

  static v1::Bidder MakeBidder(const std::string& id, const std::string& group,
                               bool manufacturer = true, v1::Date registered = Day(2010, 5, 1),
                               int64_t deposit = 10'000 * kYuan, bool no_resale = true) {
    v1::Bidder b;
    b.set_bidder_id(id);
    b.set_company("Company " + id);
    b.set_corporate_group_id(group);
    b.set_manufacturer(manufacturer);
    *b.mutable_company_registered_on() = registered;
    b.set_deposit_minor(deposit);
    b.set_accepts_no_resale(no_resale);
    return b;
  }

  Outcome Register(const v1::Bidder& b) {
    v1::RegisterBidderRequest req;
    req.set_request_id("register-" + b.bidder_id());
    req.set_auction_id("AUC-1");
    *req.mutable_bidder() = b;
    v1::BidderResponse resp;
    return D(&Dec::RegisterBidder, req, &resp);
  }

  Outcome Bid(const std::string& rid, const std::string& bidder, const std::string& lot,
              int64_t price_minor_per_t, v1::BidResponse* resp = nullptr) {
    v1::PlaceBidRequest req;
    req.set_request_id(rid);
    req.mutable_bid()->set_auction_id("AUC-1");
    req.mutable_bid()->set_bidder_id(bidder);
    req.mutable_bid()->set_lot_id(lot);
    req.mutable_bid()->set_price_minor_per_t(price_minor_per_t);
    v1::BidResponse local;
    return D(&Dec::PlaceBid, req, resp != nullptr ? resp : &local);
  }

  std::string order_;
  v1::CreateAuctionRequest create_;
};

TEST_P(AuctionTest, LifecycleFromEarmarkToDeliveryAndForfeit) {
  SetUpAuction();
  // The lots are earmarked: inventory refuses to release or move them.
  v1::Lot a1 = GetLot("A1");
  EXPECT_EQ(a1.status(), v1::LOT_STATUS_EARMARKED);
  ASSERT_EQ(a1.encumbrances_size(), 1);
  EXPECT_EQ(a1.encumbrances(0).reference(), "AUC-1");
  v1::ReleaseLotsRequest rel;
  rel.set_request_id("sneak-release");
  *rel.mutable_business_date() = Day(2024, 3, 1);
  rel.add_lines()->set_lot_id("A1");
  rel.set_buyer("Someone");
  rel.set_reference("private sale");
  v1::ReleaseLotsResponse released;
  EXPECT_EQ(I(&Inv::ReleaseLots, rel, &released).reason(), "LOT_EARMARKED");
  v1::DispatchLotRequest dispatch;
  dispatch.set_request_id("sneak-move");
  dispatch.set_lot_id("A2");
  dispatch.set_to_depot_id("D1");
  v1::TransferResponse moved;
  EXPECT_EQ(I(&Inv::DispatchLot, dispatch, &moved).reason(), "LOT_EARMARKED");
  // A lot cannot be in two auctions.
  v1::CreateAuctionRequest twice = create_;
  twice.set_request_id("auction-2");
  twice.mutable_auction()->set_auction_id("AUC-2");
  v1::AuctionResponse created;
  EXPECT_EQ(D(&Dec::CreateAuction, twice, &created).reason(), "LOT_NOT_AVAILABLE");
  // The order's quantity and the disposal ceiling are consumed at the earmark.
  EXPECT_EQ(GetOrder(order_).remaining_quantity_g(), 30 * kTonne);
  EXPECT_EQ(Balance("decision/ceiling/CU/2024/dispose"), 430 * kTonne);

  // Registration: eligible bidders, and each ineligibility with its reason.
  ASSERT_TRUE(Register(MakeBidder("b-jx", "jcc")).status.ok());
  ASSERT_TRUE(Register(MakeBidder("b-tl", "tongling", true, Day(2005, 1, 1))).status.ok());
  ASSERT_TRUE(Register(MakeBidder("b-nb", "jintian", true, Day(2012, 1, 1))).status.ok());
  uint64_t head = Head();
  auto ineligible = [&](const v1::Bidder& b, const std::string& reason) {
    Outcome o = Register(b);
    EXPECT_EQ(o.code(), absl::StatusCode::kFailedPrecondition) << b.bidder_id();
    EXPECT_EQ(o.reason(), reason) << b.bidder_id();
    EXPECT_EQ(Head(), head) << b.bidder_id();
  };
  ineligible(MakeBidder("b-trader", "trader", false), "NOT_MANUFACTURER");
  ineligible(MakeBidder("b-new", "newco", true, Day(2024, 1, 1)), "REGISTERED_AFTER_CUTOFF");
  ineligible(MakeBidder("b-jx2", "jcc"), "GROUP_ALREADY_REGISTERED");
  ineligible(MakeBidder("b-poor", "poor", true, Day(2010, 1, 1), 9'999 * kYuan),
             "DEPOSIT_INSUFFICIENT");
  ineligible(MakeBidder("b-resell", "resell", true, Day(2010, 1, 1), 10'000 * kYuan, false),
             "NO_RESALE_COMMITMENT_REQUIRED");
  EXPECT_EQ(Balance("decision/deposit/AUC-1/b-nb"), 10'000 * kYuan);

  // Bidding before the window opens.
  EXPECT_EQ(Bid("early", "b-jx", "A1", 63'000 * kYuan).reason(), "BIDDING_NOT_OPEN");
  now_ms_ = Ms(2024, 3, 1, 10, 5);
  v1::BidResponse first;
  ASSERT_TRUE(Bid("bid-1", "b-jx", "A1", 63'000 * kYuan, &first).status.ok());
  ASSERT_TRUE(Bid("bid-2", "b-tl", "A1", 63'000 * kYuan).status.ok());  // a tie, later
  ASSERT_TRUE(Bid("bid-3", "b-jx", "A2", 62'000 * kYuan).status.ok());
  ASSERT_TRUE(Bid("bid-4", "b-jx", "A3", 65'000 * kYuan).status.ok());  // top, but capped
  ASSERT_TRUE(Bid("bid-5", "b-tl", "A3", 64'000 * kYuan).status.ok());
  ASSERT_TRUE(Bid("bid-6", "b-nb", "A2", 61'000 * kYuan).status.ok());
  head = Head();
  EXPECT_EQ(Bid("bid-7", "b-nb", "A3", 59'000 * kYuan).reason(), "BELOW_RESERVE");
  EXPECT_EQ(Bid("bid-8", "b-jx", "A1", 63'000 * kYuan).reason(), "BID_NOT_HIGHER");
  Outcome stranger = Bid("bid-9", "b-trader", "A1", 70'000 * kYuan);
  EXPECT_EQ(stranger.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(stranger.reason(), "UNKNOWN_BIDDER");
  EXPECT_EQ(Bid("bid-10", "b-nb", "Z9", 70'000 * kYuan).reason(), "LOT_NOT_IN_AUCTION");
  EXPECT_EQ(Head(), head);
  // A retry of a bid with the same request id returns the first result.
  v1::BidResponse retried;
  ASSERT_TRUE(Bid("bid-1", "b-jx", "A1", 63'000 * kYuan, &retried).status.ok());
  EXPECT_TRUE(retried.commit().replayed());
  EXPECT_EQ(retried.commit().seq(), first.commit().seq());
  EXPECT_EQ(Bid("bid-1", "b-jx", "A1", 64'000 * kYuan).code(), absl::StatusCode::kAlreadyExists);

  // Clearing waits for the window to close.
  v1::ClearAuctionRequest clear;
  clear.set_request_id("clear-1");
  clear.set_auction_id("AUC-1");
  v1::AuctionResultResponse result;
  EXPECT_EQ(D(&Dec::ClearAuction, clear, &result).reason(), "BIDDING_STILL_OPEN");
  now_ms_ = Ms(2024, 3, 1, 11);
  EXPECT_EQ(Bid("late", "b-nb", "A4", 70'000 * kYuan).reason(), "BIDDING_CLOSED");
  EXPECT_EQ(Register(MakeBidder("b-late", "lateco")).reason(), "BIDDING_CLOSED");
  ASSERT_TRUE(D(&Dec::ClearAuction, clear, &result).status.ok());

  // The hand-computed result: A1 to b-jx (tie on price, earlier bid), A2 to b-jx (cap 250 t
  // now full), A3 to b-tl (b-jx's higher bid is over its cap), A4 unsold.
  const v1::AuctionResult& r = result.result();
  ASSERT_EQ(r.awards_size(), 3);
  EXPECT_EQ(r.awards(0).lot_id(), "A1");
  EXPECT_EQ(r.awards(0).bidder_id(), "b-jx");
  EXPECT_EQ(r.awards(0).amount_minor(), 100 * 63'000 * kYuan);
  EXPECT_EQ(r.awards(0).bid_seq(), first.commit().seq());
  EXPECT_EQ(r.awards(1).lot_id(), "A2");
  EXPECT_EQ(r.awards(1).bidder_id(), "b-jx");
  EXPECT_EQ(r.awards(1).amount_minor(), 150 * 62'000 * kYuan);
  EXPECT_EQ(r.awards(2).lot_id(), "A3");
  EXPECT_EQ(r.awards(2).bidder_id(), "b-tl");
  EXPECT_EQ(r.awards(2).price_minor_per_t(), 64'000 * kYuan);
  EXPECT_THAT(r.unsold_lot_ids(), ElementsAre("A4"));
  EXPECT_EQ(r.sold_mass_g(), 450 * kTonne);
  EXPECT_EQ(r.proceeds_minor(), (6'300'000 + 9'300'000 + 12'800'000) * kYuan);
  ASSERT_EQ(r.settlements_size(), 2);
  EXPECT_EQ(r.settlements(0).bidder_id(), "b-jx");
  EXPECT_EQ(r.settlements(0).amount_due_minor(), 15'600'000 * kYuan);
  EXPECT_FALSE(r.settlements(0).no_resale_commitment().empty());
  // Unsold A4 is back in stock; its 120 t are back on the order and under the ceiling; the
  // loser's deposit is refunded.
  v1::Lot a4 = GetLot("A4");
  EXPECT_EQ(a4.status(), v1::LOT_STATUS_IN_STOCK);
  EXPECT_EQ(a4.encumbrances_size(), 0);
  EXPECT_EQ(GetOrder(order_).remaining_quantity_g(), 150 * kTonne);
  EXPECT_EQ(Balance("decision/ceiling/CU/2024/dispose"), 550 * kTonne);
  EXPECT_EQ(Balance("decision/deposit/AUC-1/b-nb"), 0);
  EXPECT_EQ(Balance("decision/deposit/AUC-1/b-jx"), 10'000 * kYuan);
  // Clearing again (a new request) is refused; a retry of the same one replays.
  clear.set_request_id("clear-2");
  EXPECT_EQ(D(&Dec::ClearAuction, clear, &result).reason(), "AUCTION_CLEARED");
  clear.set_request_id("clear-1");
  ASSERT_TRUE(D(&Dec::ClearAuction, clear, &result).status.ok());
  EXPECT_TRUE(result.commit().replayed());

  // The result recomputed from the journal matches, read by finance.
  v1::VerifyAuctionResultRequest verify;
  verify.set_auction_id("AUC-1");
  v1::VerifyAuctionResultResponse verified;
  ASSERT_TRUE(D(&Dec::VerifyAuctionResult, verify, &verified, "finance-token").status.ok());
  EXPECT_TRUE(verified.matches()) << verified.difference();
  EXPECT_EQ(verified.recomputed().awards_size(), 3);
  EXPECT_GT(verified.journal_entries_read(), 10u);

  // Settlement: no delivery before payment; the exact amount only.
  v1::DeliverLotsRequest deliver;
  deliver.set_request_id("deliver-jx");
  *deliver.mutable_business_date() = Day(2024, 3, 5);
  deliver.set_auction_id("AUC-1");
  deliver.set_bidder_id("b-jx");
  v1::DeliverLotsResponse delivered;
  EXPECT_EQ(D(&Dec::DeliverLots, deliver, &delivered).reason(), "NOT_PAID");
  v1::RecordPaymentRequest pay;
  pay.set_request_id("pay-jx");
  pay.set_auction_id("AUC-1");
  pay.set_bidder_id("b-jx");
  pay.set_amount_minor(15'600'000 * kYuan);
  v1::SettlementResponse settled;
  EXPECT_EQ(D(&Dec::RecordPayment, pay, &settled).reason(), "PAYMENT_AMOUNT");
  pay.set_request_id("pay-jx-2");
  pay.set_amount_minor(15'590'000 * kYuan);  // the deposit is applied
  ASSERT_TRUE(D(&Dec::RecordPayment, pay, &settled).status.ok());
  EXPECT_EQ(settled.settlement().status(), v1::SETTLEMENT_STATUS_PAID);
  EXPECT_EQ(Balance("decision/proceeds/AUC-1"), 15'600'000 * kYuan);
  int64_t held = HeldCu();
  ASSERT_TRUE(D(&Dec::DeliverLots, deliver, &delivered).status.ok());
  EXPECT_EQ(delivered.released_mass_g(), 250 * kTonne);
  EXPECT_FALSE(delivered.late());
  EXPECT_EQ(HeldCu(), held - 250 * kTonne);
  a1 = GetLot("A1");
  EXPECT_EQ(a1.status(), v1::LOT_STATUS_RELEASED);
  EXPECT_EQ(a1.encumbrances_size(), 0);
  EXPECT_EQ(a1.released_to(), "Company b-jx");
  EXPECT_EQ(a1.release_reference(), "AUC-1");
  ASSERT_TRUE(D(&Dec::DeliverLots, deliver, &delivered).status.ok());  // retry: replayed
  EXPECT_TRUE(delivered.commit().replayed());
  deliver.set_request_id("deliver-jx-again");
  EXPECT_EQ(D(&Dec::DeliverLots, deliver, &delivered).reason(), "LOT_RELEASED");
  v1::GetAuctionResultRequest get_result;
  get_result.set_auction_id("AUC-1");
  ASSERT_TRUE(D(&Dec::GetAuctionResult, get_result, &result, "finance-token").status.ok());
  EXPECT_THAT(result.result().settlements(0).delivered_lot_ids(), ElementsAre("A1", "A2"));

  // b-tl never pays: after the deadline its award is forfeited, A3 returns to stock.
  v1::ForfeitAwardRequest forfeit;
  forfeit.set_request_id("forfeit-tl");
  forfeit.set_auction_id("AUC-1");
  forfeit.set_bidder_id("b-tl");
  EXPECT_EQ(D(&Dec::ForfeitAward, forfeit, &settled).reason(), "PAYMENT_NOT_OVERDUE");
  now_ms_ = Ms(2024, 3, 12, 0);  // cleared on 03-01, payment due by 03-11
  pay.set_request_id("pay-tl");
  pay.set_bidder_id("b-tl");
  pay.set_amount_minor(12'790'000 * kYuan);
  EXPECT_EQ(D(&Dec::RecordPayment, pay, &settled).reason(), "PAYMENT_OVERDUE");
  ASSERT_TRUE(D(&Dec::ForfeitAward, forfeit, &settled).status.ok());
  EXPECT_EQ(settled.settlement().status(), v1::SETTLEMENT_STATUS_FORFEITED);
  EXPECT_EQ(GetLot("A3").status(), v1::LOT_STATUS_IN_STOCK);
  EXPECT_EQ(GetOrder(order_).remaining_quantity_g(), 350 * kTonne);
  EXPECT_EQ(Balance("decision/deposit/AUC-1/b-tl"), 0);
  EXPECT_EQ(Balance("decision/proceeds/AUC-1"), 15'610'000 * kYuan);
  pay.set_request_id("pay-tl-2");
  EXPECT_EQ(D(&Dec::RecordPayment, pay, &settled).reason(), "SETTLEMENT_NOT_AWARDED");
  deliver.set_request_id("deliver-tl");
  deliver.set_bidder_id("b-tl");
  EXPECT_EQ(D(&Dec::DeliverLots, deliver, &delivered).reason(), "SETTLEMENT_NOT_AWARDED");
}

TEST_P(AuctionTest, FinanceReadsResultsButCannotWrite) {
  SetUpAuction();
  v1::GetAuctionRequest get;
  get.set_auction_id("AUC-1");
  v1::Auction auction;
  ASSERT_TRUE(D(&Dec::GetAuction, get, &auction, "finance-token").status.ok());
  v1::ListOrdersRequest list_orders;
  v1::ListOrdersResponse orders;
  ASSERT_TRUE(D(&Dec::ListOrders, list_orders, &orders, "finance-token").status.ok());
  EXPECT_EQ(orders.orders_size(), 1);
  v1::ListProposalsRequest list_proposals;
  v1::ListProposalsResponse proposals;
  ASSERT_TRUE(D(&Dec::ListProposals, list_proposals, &proposals, "finance-token").status.ok());
  v1::GetRecommendationsRequest recs;
  v1::GetRecommendationsResponse recommendations;
  ASSERT_TRUE(D(&Dec::GetRecommendations, recs, &recommendations, "finance-token").status.ok());
  uint64_t head = Head();
  auto denied = [&](const Outcome& o) {
    EXPECT_EQ(o.code(), absl::StatusCode::kPermissionDenied) << o.status;
  };
  v1::BidResponse bid;
  v1::PlaceBidRequest place;
  place.set_request_id("fin-bid");
  denied(D(&Dec::PlaceBid, place, &bid, "finance-token"));
  v1::SetTargetRequest target;
  target.set_request_id("fin-target");
  v1::TargetResponse t;
  denied(D(&Dec::SetTarget, target, &t, "finance-token"));
  v1::ProposalResponse p;
  denied(D(&Dec::CreateProposal, ProposalRequest("fin", {}), &p, "finance-token"));
  v1::ApproveProposalRequest approve;
  approve.set_request_id("fin-approve");
  approve.set_proposal_id("P-rel");
  denied(D(&Dec::ApproveProposal, approve, &p, "finance-token"));
  v1::ClearAuctionRequest clear;
  clear.set_request_id("fin-clear");
  clear.set_auction_id("AUC-1");
  v1::AuctionResultResponse r;
  denied(D(&Dec::ClearAuction, clear, &r, "finance-token"));
  v1::SetBudgetRequest budget;
  budget.set_request_id("fin-budget");
  v1::BudgetResponse b;
  denied(D(&Dec::SetBudget, budget, &b, "finance-token"));
  EXPECT_EQ(Head(), head);
  // No credentials at all.
  EXPECT_EQ(D(&Dec::GetAuction, get, &auction, "").code(), absl::StatusCode::kUnauthenticated);
}

TEST_P(AuctionTest, RacingApprovalsAndRegistrationsResolveInTheLedger) {
  SetUpAuction();
  // Eight companies of one corporate group register at once: exactly one gets in.
  constexpr int kClients = 8;
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Outcome o = Register(MakeBidder(absl::StrCat("chinalco-", i), "chinalco"));
      if (o.status.ok()) {
        ++ok;
      } else if (o.reason() == "GROUP_ALREADY_REGISTERED") {
        ++refused;
      } else {
        ADD_FAILURE() << o.status;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), kClients - 1);
  v1::GetAuctionRequest get;
  get.set_auction_id("AUC-1");
  v1::Auction auction;
  ASSERT_TRUE(D(&Dec::GetAuction, get, &auction).status.ok());
  EXPECT_EQ(auction.bidders(), 1);

  // Two approvers approve a one-approver proposal at once: one approval creates the order,
  // the other finds the proposal approved; the budget is committed once.
  v1::ProposalResponse created;
  ASSERT_TRUE(D(&Dec::CreateProposal,
                ProposalRequest("P-race", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 10,
                                                70'000 * kYuan, 700'000 * kYuan)}),
                &created)
                  .status.ok());
  std::atomic<int> approved{0};
  std::atomic<int> not_pending{0};
  threads.clear();
  for (const char* token : {"approver-token", "approver2-token"}) {
    threads.emplace_back([&, token] {
      v1::ProposalResponse r;
      Outcome o = Approve("P-race", token, &r);
      if (o.status.ok()) {
        ++approved;
      } else if (o.reason() == "PROPOSAL_NOT_PENDING") {
        ++not_pending;
      } else {
        ADD_FAILURE() << o.status;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(approved.load(), 1);
  EXPECT_EQ(not_pending.load(), 1);
  EXPECT_EQ(GetOrder("P-race-1").remaining_amount_minor(), 700'000 * kYuan);
  v1::GetBudgetRequest get_budget;
  get_budget.set_year(2024);
  v1::BudgetResponse budget;
  ASSERT_TRUE(D(&Dec::GetBudget, get_budget, &budget).status.ok());
  EXPECT_EQ(budget.budget().committed_minor(), 700'000 * kYuan);
  // An approval after the proposal's period is refused.
  ASSERT_TRUE(D(&Dec::CreateProposal,
                ProposalRequest("P-old", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 1, 70'000 * kYuan,
                                               70'000 * kYuan)}),
                &created)
                  .status.ok());
  v1::ApproveProposalRequest late;
  late.set_request_id("approve-late");
  *late.mutable_business_date() = Day(2025, 1, 2);
  late.set_proposal_id("P-old");
  v1::ProposalResponse r;
  EXPECT_EQ(D(&Dec::ApproveProposal, late, &r, "approver-token").reason(), "PROPOSAL_EXPIRED");
}

// ---- Invalid input: exact codes and fields, nothing written ----

TEST_P(DecisionServiceTest, InvalidInputIsRefusedWithTheFieldAndWritesNothing) {
  SetBudget(2024, 1'000'000 * kYuan);
  uint64_t head = Head();
  auto invalid = [&](const Outcome& o, const std::string& field) {
    EXPECT_EQ(o.code(), absl::StatusCode::kInvalidArgument) << field << ": " << o.status;
    EXPECT_EQ(o.field(), field) << o.status;
  };
  v1::SetTargetRequest target;
  target.set_request_id("t1");
  target.mutable_target()->set_metal("CU");
  target.mutable_target()->set_cover_min_days(60);
  target.mutable_target()->set_cover_target_days(30);
  target.mutable_target()->set_cover_max_days(90);
  v1::TargetResponse tr;
  invalid(D(&Dec::SetTarget, target, &tr), "target.cover_target_days");
  target.mutable_target()->set_metal("copper");
  invalid(D(&Dec::SetTarget, target, &tr), "target.metal");
  target.mutable_target()->set_metal("CU");
  target.mutable_target()->set_cover_min_days(10);
  target.mutable_target()->mutable_band()->set_floor_minor_per_t(100);
  target.mutable_target()->mutable_band()->set_ceiling_minor_per_t(50);
  target.mutable_target()->mutable_band()->set_currency("CNY");
  invalid(D(&Dec::SetTarget, target, &tr), "target.band.ceiling_minor_per_t");
  target.clear_request_id();
  target.mutable_target()->clear_band();
  invalid(D(&Dec::SetTarget, target, &tr), "request_id");
  target.set_request_id("t2");
  target.mutable_target()->set_metal("XX");
  Outcome unknown_metal = D(&Dec::SetTarget, target, &tr);
  EXPECT_EQ(unknown_metal.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown_metal.reason(), "UNKNOWN_METAL");

  v1::AddMarketDataRequest market;
  market.set_request_id("m1");
  v1::MarketPoint* point = market.add_points();
  point->set_metal("CU");
  *point->mutable_date() = Day(2024, 1, 1);
  point->set_value(1);
  point->set_source("x");
  v1::AddMarketDataResponse mr;
  invalid(D(&Dec::AddMarketData, market, &mr), "points[0].series");
  point->set_series(v1::MARKET_SERIES_CAPACITY_UTILISATION);
  point->set_value(10'001);
  invalid(D(&Dec::AddMarketData, market, &mr), "points[0].value");
  *point->mutable_date() = Day(2024, 2, 30);
  invalid(D(&Dec::AddMarketData, market, &mr), "points[0].date");
  v1::ImportMarketDataRequest csv;
  csv.set_request_id("m2");
  csv.set_csv("series,metal,date,value,source\nconsumption,CU,2024-01-01,12.1234567,x\n");
  invalid(D(&Dec::ImportMarketData, csv, &mr), "csv.rows[1].value");
  csv.set_csv("series,metal,date,value\n");
  invalid(D(&Dec::ImportMarketData, csv, &mr), "csv");

  v1::ProposalResponse pr;
  v1::CreateProposalRequest proposal = ProposalRequest(
      "P-bad", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 10, 70'000 * kYuan, 700'000 * kYuan)});
  *proposal.mutable_proposal()->mutable_valid_to() = Day(2025, 1, 31);
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.valid_to");
  proposal = ProposalRequest("P-bad", {});
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.lines");
  proposal =
      ProposalRequest("P-bad", {Line(v1::ORDER_DIRECTION_RELEASE, "CU", 10, 70'000 * kYuan, 5)});
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.lines[0].amount_minor");
  proposal = ProposalRequest("P-bad",
                             {Line(v1::ORDER_DIRECTION_UNSPECIFIED, "CU", 10, 70'000 * kYuan, 5)});
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.lines[0].direction");
  proposal =
      ProposalRequest("P-bad", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 0, 70'000 * kYuan, 5)});
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.lines[0].quantity_g");
  proposal =
      ProposalRequest("P/bad", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 1, 70'000 * kYuan, 5)});
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.proposal_id");
  proposal =
      ProposalRequest("P-bad", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 1, 70'000 * kYuan, 5)});
  proposal.mutable_proposal()->set_funding(v1::FUNDING_UNSPECIFIED);
  invalid(D(&Dec::CreateProposal, proposal, &pr), "proposal.funding");
  proposal.mutable_from_recommendations();
  proposal.mutable_from_optimiser();
  invalid(D(&Dec::CreateProposal, proposal, &pr), "from_optimiser");

  v1::CreateAuctionRequest auction;
  auction.set_request_id("a1");
  v1::AuctionResponse ar;
  auction.mutable_auction()->set_auction_id("AUC-X");
  auction.mutable_auction()->set_title("x");
  auction.mutable_auction()->set_order_id("P-1");
  *auction.mutable_auction()->mutable_eligibility_cutoff() = Day(2024, 1, 1);
  invalid(D(&Dec::CreateAuction, auction, &ar), "auction.lots");
  for (int i = 0; i < 2; ++i) {
    v1::AuctionLot* l = auction.mutable_auction()->add_lots();
    l->set_lot_id("L1");
    l->set_reserve_price_minor_per_t(1);
  }
  invalid(D(&Dec::CreateAuction, auction, &ar), "auction.lots[1].lot_id");
  auction.mutable_auction()->mutable_lots(1)->set_lot_id("L2");
  auction.mutable_auction()->set_bidder_cap_g(1);
  auction.mutable_auction()->set_bidding_opens_at_ms(Ms(2024, 3, 1, 10));
  auction.mutable_auction()->set_bidding_closes_at_ms(Ms(2024, 3, 1, 9));
  invalid(D(&Dec::CreateAuction, auction, &ar), "auction.bidding_closes_at_ms");
  v1::PlaceBidRequest bid;
  bid.set_request_id("b1");
  bid.mutable_bid()->set_auction_id("AUC-X");
  bid.mutable_bid()->set_bidder_id("b");
  bid.mutable_bid()->set_lot_id("L1");
  v1::BidResponse br;
  invalid(D(&Dec::PlaceBid, bid, &br), "bid.price_minor_per_t");
  v1::RegisterBidderRequest reg;
  reg.set_request_id("r1");
  reg.set_auction_id("AUC-X");
  reg.mutable_bidder()->set_bidder_id("b");
  v1::BidderResponse rr;
  invalid(D(&Dec::RegisterBidder, reg, &rr), "bidder.company_registered_on");
  v1::ListOrdersRequest list;
  list.set_page_size(5000);
  v1::ListOrdersResponse lr;
  invalid(D(&Dec::ListOrders, list, &lr, "finance-token"), "page_size");
  list.set_page_size(10);
  list.set_page_token("garbage");
  invalid(D(&Dec::ListOrders, list, &lr, "finance-token"), "page_token");
  v1::SetBudgetRequest budget;
  budget.set_request_id("b-neg");
  budget.set_year(2024);
  budget.set_currency("CNY");
  budget.set_amount_minor(-1);
  v1::BudgetResponse bresp;
  invalid(D(&Dec::SetBudget, budget, &bresp), "amount_minor");
  budget.set_amount_minor(1);
  budget.set_currency("cny");
  invalid(D(&Dec::SetBudget, budget, &bresp), "currency");
  EXPECT_EQ(Head(), head);
  // Not-found lookups.
  v1::GetOrderRequest get_order;
  get_order.set_order_id("nope");
  v1::Order order;
  Outcome missing = D(&Dec::GetOrder, get_order, &order);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.reason(), "UNKNOWN_ORDER");
}

TEST_P(DecisionServiceTest, RetriesWithTheSameRequestIdAreIdempotent) {
  v1::SetBudgetRequest budget;
  budget.set_request_id("budget-2024");
  budget.set_year(2024);
  budget.set_currency("CNY");
  budget.set_amount_minor(1'000'000 * kYuan);
  v1::BudgetResponse first, second;
  ASSERT_TRUE(D(&Dec::SetBudget, budget, &first).status.ok());
  ASSERT_TRUE(D(&Dec::SetBudget, budget, &second).status.ok());
  EXPECT_FALSE(first.commit().replayed());
  EXPECT_TRUE(second.commit().replayed());
  EXPECT_EQ(first.commit().seq(), second.commit().seq());
  budget.set_amount_minor(2'000'000 * kYuan);
  Outcome reused = D(&Dec::SetBudget, budget, &second);
  EXPECT_EQ(reused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(reused.reason(), "REQUEST_ID_REUSED");
  // A proposal and its approval, retried.
  v1::CreateProposalRequest create = ProposalRequest(
      "P-idem", {Line(v1::ORDER_DIRECTION_ACQUIRE, "CU", 1, 70'000 * kYuan, 70'000 * kYuan)});
  v1::ProposalResponse p1, p2;
  ASSERT_TRUE(D(&Dec::CreateProposal, create, &p1).status.ok());
  ASSERT_TRUE(D(&Dec::CreateProposal, create, &p2).status.ok());
  EXPECT_TRUE(p2.commit().replayed());
  create.set_request_id("create-P-idem-2");
  EXPECT_EQ(D(&Dec::CreateProposal, create, &p2).reason(), "PROPOSAL_EXISTS");
  ASSERT_TRUE(Approve("P-idem", "approver-token", &p1, "approve-idem").status.ok());
  ASSERT_TRUE(Approve("P-idem", "approver-token", &p2, "approve-idem").status.ok());
  EXPECT_TRUE(p2.commit().replayed());
  EXPECT_EQ(p1.commit().seq(), p2.commit().seq());
  v1::GetBudgetRequest get;
  get.set_year(2024);
  ASSERT_TRUE(D(&Dec::GetBudget, get, &first).status.ok());
  EXPECT_EQ(first.budget().committed_minor(), 70'000 * kYuan);  // funded once
}

// ---- Market data, targets, recommendations, optimiser ----

class AnalysisTest : public DecisionServiceTest {
 protected:
  // Copper: 365,000 t a year (1,000 t a day); 20,000 t held = 20 days of cover, below the
  // minimum of 30. Prices: 30 months rising from 60,000 CNY/t.
  void SetUpCopper() {
    SetBudget(2024, 10'000'000'000 * kYuan);
    SetCeiling("CU", 2024, 100'000, 10'000);
    ASSERT_TRUE(
        Acquire("held",
                {CopperLot("H1", 10'000, 50'000 * kYuan), CopperLot("H2", 10'000, 50'000 * kYuan)},
                "", Day(2023, 6, 1))
            .status.ok());
    v1::ImportMarketDataRequest csv;
    csv.set_request_id("market");
    csv.set_csv(
        "series,metal,date,value,source\n"
        "consumption,CU,2022-01-01,300000,CNIA\n"
        "consumption,CU,2023-01-01,365000,CNIA\n"
        "capacity_utilisation,AL,2023-12-01,7800,CNIA\n");
    v1::AddMarketDataResponse added;
    ASSERT_TRUE(D(&Dec::ImportMarketData, csv, &added).status.ok());
    EXPECT_EQ(added.count(), 3);
    v1::AddPriceMarksRequest marks;
    marks.set_request_id("prices");
    for (int i = 0; i < 30; ++i) {
      absl::CivilMonth m = absl::CivilMonth(2021, 9) + i;
      v1::PriceMark* p = marks.add_marks();
      p->set_metal("CU");
      *p->mutable_date() = Day(static_cast<int>(m.year()), m.month(), 1);
      p->set_price_minor_per_t((60'000 + 100 * i) * kYuan);
      p->set_currency("CNY");
      p->set_source("test");
    }
    v1::AddPriceMarksResponse added_marks;
    ASSERT_TRUE(I(&Inv::AddPriceMarks, marks, &added_marks).status.ok());
    v1::SetTargetRequest target;
    target.set_request_id("target-cu");
    target.mutable_target()->set_metal("CU");
    target.mutable_target()->set_cover_min_days(30);
    target.mutable_target()->set_cover_target_days(60);
    target.mutable_target()->set_cover_max_days(90);
    v1::TargetResponse set;
    ASSERT_TRUE(D(&Dec::SetTarget, target, &set).status.ok());
  }
};

TEST_P(AnalysisTest, RecommendationsAreDeterministicExplainedAndBecomeProposals) {
  SetUpCopper();
  v1::GetRecommendationsRequest req;
  *req.mutable_date() = Day(2024, 2, 15);
  v1::GetRecommendationsResponse first, second;
  ASSERT_TRUE(D(&Dec::GetRecommendations, req, &first, "finance-token").status.ok());
  ASSERT_TRUE(D(&Dec::GetRecommendations, req, &second, "finance-token").status.ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  ASSERT_EQ(first.recommendations_size(), 1);
  const v1::Recommendation& r = first.recommendations(0);
  EXPECT_EQ(r.metal(), "CU");
  EXPECT_EQ(r.held_g(), 20'000 * kTonne);
  EXPECT_EQ(r.consumption_g_per_year(), 365'000 * kTonne);
  EXPECT_EQ(r.signals().cover_days(), 20);
  EXPECT_EQ(r.action(), v1::ACTION_BUY) << r.explanation();
  EXPECT_GT(r.quantity_g(), 0);
  // At most 20% of a month's consumption (30,416.67 t) per recommendation.
  EXPECT_LE(r.quantity_g(), 6'084 * kTonne);
  std::vector<std::string> fired;
  for (const v1::FiredRule& f : r.rules()) fired.push_back(f.rule_id());
  EXPECT_THAT(fired, ::testing::Contains("COVER_BELOW_MIN"));
  EXPECT_THAT(r.explanation(), ::testing::HasSubstr("CU"));
  // Unknown metal and a metal without a target.
  req.add_metals("AL");
  Outcome no_target = D(&Dec::GetRecommendations, req, &first);
  EXPECT_EQ(no_target.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_target.reason(), "UNKNOWN_TARGET");

  // A proposal from the recommendations carries the same line and the explanation.
  v1::CreateProposalRequest create = ProposalRequest("P-rec", {});
  *create.mutable_from_recommendations()->mutable_date() = Day(2024, 2, 15);
  create.mutable_proposal()->clear_rationale();
  v1::ProposalResponse p;
  ASSERT_TRUE(D(&Dec::CreateProposal, create, &p).status.ok());
  EXPECT_EQ(p.proposal().source(), v1::PROPOSAL_SOURCE_RECOMMENDATION);
  ASSERT_EQ(p.proposal().lines_size(), 1);
  EXPECT_EQ(p.proposal().lines(0).quantity_g(), r.quantity_g());
  EXPECT_EQ(p.proposal().lines(0).price_limit_minor_per_t(), r.price_limit_minor_per_t());
  EXPECT_EQ(p.proposal().lines(0).amount_minor(), r.amount_minor());
  EXPECT_THAT(p.proposal().rationale(), ::testing::HasSubstr(r.explanation()));

  // Market data history is kept: replacing a point keeps the old value in the journal.
  v1::ImportMarketDataRequest csv;
  csv.set_request_id("market-revised");
  csv.set_csv("series,metal,date,value,source\nconsumption,CU,2023-01-01,370000.5,revised\n");
  v1::AddMarketDataResponse added;
  ASSERT_TRUE(D(&Dec::ImportMarketData, csv, &added).status.ok());
  v1::GetMarketPointHistoryRequest history;
  history.set_series(v1::MARKET_SERIES_CONSUMPTION);
  history.set_metal("CU");
  *history.mutable_date() = Day(2023, 1, 1);
  v1::GetMarketPointHistoryResponse versions;
  ASSERT_TRUE(D(&Dec::GetMarketPointHistory, history, &versions, "auditor-token").status.ok());
  ASSERT_EQ(versions.versions_size(), 2);
  EXPECT_EQ(versions.versions(0).point().value(), 365'000 * kTonne);
  EXPECT_EQ(versions.versions(1).point().value(), 370'000 * kTonne + 500'000);
  v1::ListMarketDataRequest list;
  list.set_series(v1::MARKET_SERIES_CONSUMPTION);
  list.set_metal("CU");
  v1::ListMarketDataResponse listed;
  ASSERT_TRUE(D(&Dec::ListMarketData, list, &listed, "finance-token").status.ok());
  EXPECT_EQ(listed.points_size(), 2);
}

TEST_P(AnalysisTest, OptimiserPlansWithinBudgetAndCapacityAndBecomesAProposal) {
  SetUpCopper();
  MakeDepot("D2", 3'000);
  v1::OptimiseRequest req;
  req.set_year(2024);
  *req.mutable_date() = Day(2024, 2, 15);
  req.set_budget_minor(200'000'000 * kYuan);  // 200 million CNY: about 2,300 t at 87,000
  req.set_months(1);
  (*req.mutable_handling_minor_per_t())["D2"] = 0;
  (*req.mutable_handling_minor_per_t())["D1"] = 100 * kYuan;
  v1::OptimiseResponse plan;
  ASSERT_TRUE(D(&Dec::Optimise, req, &plan, "finance-token").status.ok());
  EXPECT_EQ(plan.solver_status(), "OPTIMAL");
  EXPECT_LE(plan.total_cost_minor(), 200'000'000 * kYuan);
  ASSERT_EQ(plan.metals_size(), 1);
  EXPECT_EQ(plan.metals(0).need_g(), 40'000 * kTonne);
  int64_t bought = 0;
  for (const v1::Allocation& a : plan.allocations()) bought += a.mass_g();
  EXPECT_EQ(bought, plan.metals(0).bought_g());
  EXPECT_GT(bought, 0);
  // The cheaper depot (no handling) is filled first.
  ASSERT_GE(plan.allocations_size(), 1);
  EXPECT_EQ(plan.allocations(0).depot_id(), "D2");
  v1::CreateProposalRequest create = ProposalRequest("P-opt", {});
  *create.mutable_from_optimiser() = req;
  v1::ProposalResponse p;
  ASSERT_TRUE(D(&Dec::CreateProposal, create, &p).status.ok());
  ASSERT_EQ(p.proposal().lines_size(), 1);
  EXPECT_EQ(p.proposal().lines(0).quantity_g(), bought);
  EXPECT_EQ(p.proposal().lines(0).amount_minor(), plan.total_cost_minor());
  EXPECT_EQ(p.proposal().lines(0).depot_plan_size(), plan.allocations_size());
}

// ---- Backtest over the World Bank monthly history ----

TEST_P(AnalysisTest, BacktestOver1960To2023ReconcilesWithItsRows) {
  std::ifstream in(RESERVE_PINK_SHEET);
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<decision::engine::MonthlyPrices> table =
      decision::engine::LoadPinkSheetCsv(text.str(), {7'100'000, 100});
  ASSERT_TRUE(table.ok()) << table.status();
  v1::AddPriceMarksRequest marks;
  marks.set_request_id("pink-sheet");
  for (const std::string metal : {"CU", "AL"}) {
    int index = table->MetalIndex(metal);
    ASSERT_GE(index, 0);
    for (size_t j = 0; j < table->months.size(); ++j) {
      v1::PriceMark* p = marks.add_marks();
      p->set_metal(metal);
      const absl::CivilMonth& m = table->months[j];
      *p->mutable_date() = Day(static_cast<int>(m.year()), m.month(), 1);
      p->set_price_minor_per_t(table->price_minor_per_t[index][j]);
      p->set_currency("CNY");
      p->set_source("World Bank Pink Sheet at 7.10");
    }
  }
  v1::AddPriceMarksResponse added;
  ASSERT_TRUE(I(&Inv::AddPriceMarks, marks, &added).status.ok());
  v1::BacktestRequest req;
  req.add_metals("CU");
  req.add_metals("AL");
  (*req.mutable_consumption_g_per_year())["CU"] = 10'000'000 * kTonne;
  (*req.mutable_consumption_g_per_year())["AL"] = 30'000'000 * kTonne;
  req.set_annual_budget_minor(20'000'000'000 * kYuan);
  for (const std::string metal : {"CU", "AL"}) {
    v1::Target* t = req.add_targets();
    t->set_metal(metal);
    t->set_cover_min_days(15);
    t->set_cover_target_days(30);
    t->set_cover_max_days(60);
  }
  req.set_include_csv(true);
  req.set_include_svg(true);
  v1::BacktestResponse result;
  ASSERT_TRUE(D(&Dec::RunBacktest, req, &result, "finance-token").status.ok());
  EXPECT_EQ(result.months(), static_cast<int64_t>(table->months.size()));
  ASSERT_EQ(result.rows_size(), 2 * result.months());
  ASSERT_EQ(result.totals_size(), 2);
  int64_t spend = 0;
  for (const v1::BacktestTotals& t : result.totals()) {
    int64_t bought = 0, released = 0, spent = 0, below = 0, last = 0;
    for (const v1::BacktestRow& row : result.rows()) {
      if (row.metal() != t.metal()) continue;
      bought += row.bought_g();
      released += row.released_g();
      spent += row.spend_minor();
      below += row.below_target() ? 1 : 0;
      last = row.holdings_g();
    }
    EXPECT_EQ(bought, t.bought_g()) << t.metal();
    EXPECT_EQ(released, t.released_g()) << t.metal();
    EXPECT_EQ(spent, t.spend_minor()) << t.metal();
    EXPECT_EQ(below, t.months_below_target()) << t.metal();
    EXPECT_EQ(last, t.final_holdings_g()) << t.metal();
    EXPECT_EQ(t.final_holdings_g(), t.initial_holdings_g() + t.bought_g() - t.released_g());
    spend += t.spend_minor();
  }
  EXPECT_EQ(spend, result.spend_minor());
  std::vector<std::string> lines = absl::StrSplit(result.rows_csv(), '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), static_cast<size_t>(result.rows_size()) + 1);
  EXPECT_THAT(result.chart_svg(), ::testing::HasSubstr("<svg"));
  // A month outside the prices.
  *req.mutable_from_date() = Day(1950, 1, 1);
  Outcome early = D(&Dec::RunBacktest, req, &result);
  EXPECT_EQ(early.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(early.field(), "from_date");
}

INSTANTIATE_TEST_SUITE_P(Deployments, DecisionServiceTest, testing::kDeployments,
                         testing::DeploymentName);
INSTANTIATE_TEST_SUITE_P(Deployments, AuctionTest, testing::kDeployments, testing::DeploymentName);
INSTANTIATE_TEST_SUITE_P(Deployments, AnalysisTest, testing::kDeployments, testing::DeploymentName);

}  // namespace
}  // namespace reserve
