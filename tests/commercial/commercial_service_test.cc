// CommercialReserveService and FinancingService end to end: a real gRPC server on
// 127.0.0.1:0 (with InventoryService) and bearer tokens, over a RocksLedger in a temp dir
// ("embedded") or a RemoteLedger to an in-process LedgerService ("split"). The issue's
// "must show" cases, scoping, and bad input over the wire, with exact codes.
#include "services/commercial/commercial_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reserve/v1/commercial.grpc.pb.h"
#include "reserve/v1/financing.grpc.pb.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "services/commercial/collateral_hook.h"
#include "services/commercial/financing_service.h"
#include "services/inventory/inventory_service.h"
#include "tests/support/service_env.h"

namespace reserve {
namespace {

using testing::Day;
using ::testing::ElementsAre;
using testing::Outcome;
using testing::OwnChannel;

constexpr int64_t kTonne = 1'000'000;
constexpr char kTokens[] =
    "admin-token alice admin\n"
    "approver-token bob approver\n"
    "finance-token fiona finance\n"
    "auditor-token audrey auditor\n"
    "icbc-token icbc-officer bank:icbc\n"
    "boc-token boc-officer bank:boc\n"
    "ent-a-token ent-a-clerk enterprise:ent-a\n"
    "ent-b-token ent-b-clerk enterprise:ent-b\n"
    "two-banks-token sly bank:icbc,bank:boc\n";

using Inv = v1::InventoryService::Stub;
using Com = v1::CommercialReserveService::Stub;
using Fin = v1::FinancingService::Stub;

class CommercialServiceTest : public testing::ServiceTest {
 protected:
  CommercialServiceTest() : ServiceTest(kTokens, "commercial_service_test") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ServiceTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  void TearDown() override { Stop(); }

  // Starts the three services over the ledger on a fresh port.
  void Start() {
    collateral_hook_ = std::make_unique<commercial::CollateralHook>(ledger());
    inventory::InventoryOptions inventory_options;
    inventory_options.lot_mass_hook = collateral_hook_.get();
    auto inventory = InventoryServiceImpl::Create(ledger(), authorizer(), inventory_options);
    ASSERT_TRUE(inventory.ok()) << inventory.status();
    inventory_ = *std::move(inventory);
    auto commercial = CommercialReserveServiceImpl::Create(ledger(), authorizer());
    ASSERT_TRUE(commercial.ok()) << commercial.status();
    commercial_ = *std::move(commercial);
    FinancingServiceOptions options;
    options.follower.retry_backoff = absl::Milliseconds(20);
    auto financing = FinancingServiceImpl::Create(ledger(), authorizer(), options);
    ASSERT_TRUE(financing.ok()) << financing.status();
    financing_ = *std::move(financing);
    auto server =
        testing::TestServer::Start({inventory_.get(), commercial_.get(), financing_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = server_->address();
    inv_ = server_->NewStub<v1::InventoryService>();
    com_ = server_->NewStub<v1::CommercialReserveService>();
    fin_ = server_->NewStub<v1::FinancingService>();
  }

  // Stops the server and the services.
  void Stop() {
    if (financing_ != nullptr) financing_->BeginShutdown();
    server_.reset();
    financing_.reset();
    commercial_.reset();
    inventory_.reset();
    collateral_hook_.reset();
  }

  // A restart: the services stop, the embedded store is closed and opened again.
  void Restart() {
    Stop();
    ASSERT_TRUE(test_ledger().Reopen().ok());
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  template <typename Stub, typename Req, typename Resp>
  Outcome Call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
               const Req& request, Resp* response, absl::string_view token = "admin-token") {
    return testing::CallAs(stub, method, request, response, token);
  }

  uint64_t Head() { return ledger().GetHead()->seq; }

  // ---- Set-up through the wire ----
  void MakeDepot(const std::string& id, bool approved) {
    v1::CreateDepotRequest req;
    req.set_request_id("depot-" + id);
    v1::Depot* d = req.mutable_depot();
    d->set_depot_id(id);
    d->set_name("Depot " + id);
    d->set_province("Gansu");
    d->set_operator_name("Operator");
    d->set_kind(v1::DEPOT_KIND_COMMERCIAL);
    d->set_approved_for_pledge(approved);
    (*d->mutable_capacity_g())["CU"] = 100'000 * kTonne;
    v1::DepotResponse resp;
    Outcome o = Call(*inv_, &Inv::CreateDepot, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  void Enrol(const std::string& id, const std::vector<std::string>& depots) {
    v1::EnrolEnterpriseRequest req;
    req.set_request_id("enrol-" + id);
    *req.mutable_business_date() = Day(2024, 1, 1);
    v1::Enterprise* e = req.mutable_enterprise();
    e->set_enterprise_id(id);
    e->set_name("Enterprise " + id);
    e->set_province("Gansu");
    e->add_metals("CU");
    for (const std::string& d : depots) e->add_depot_ids(d);
    v1::EnterpriseResponse resp;
    Outcome o = Call(*com_, &Com::EnrolEnterprise, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  static v1::Lot Lot(const std::string& id, const std::string& depot, int64_t tonnes,
                     const std::string& owner) {
    v1::Lot l;
    l.set_lot_id(id);
    l.set_metal("CU");
    l.set_grade("Cu-CATH-1");
    l.set_brand("Jinchuan");
    l.set_form("cathode");
    l.set_pieces(10);
    l.set_net_mass_g(tonnes * kTonne);
    l.set_gross_mass_g(tonnes * kTonne);
    l.set_depot_id(depot);
    l.set_year_produced(2020);
    l.set_year_stored(2021);
    l.set_cost_minor(tonnes * 6'000'000);
    l.set_currency("CNY");
    l.set_reserve_class(v1::RESERVE_CLASS_COMMERCIAL);
    l.set_owner(owner);
    return l;
  }

  void Acquire(const std::string& rid, const std::vector<v1::Lot>& lots, v1::Date date) {
    v1::AcquireLotsRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = date;
    for (const v1::Lot& l : lots) *req.add_lots() = l;
    v1::AcquireLotsResponse resp;
    Outcome o = Call(*inv_, &Inv::AcquireLots, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  // Adds a CNY copper mark and waits until the follower has marked it to market.
  void Price(v1::Date date, int64_t price_minor_per_t) {
    v1::AddPriceMarksRequest req;
    req.set_request_id(
        absl::StrCat("price-", date.year(), date.month(), date.day(), "-", price_minor_per_t));
    v1::PriceMark* m = req.add_marks();
    m->set_metal("CU");
    *m->mutable_date() = date;
    m->set_price_minor_per_t(price_minor_per_t);
    m->set_currency("CNY");
    m->set_source("SHFE settlement");
    v1::AddPriceMarksResponse resp;
    Outcome o = Call(*inv_, &Inv::AddPriceMarks, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
    ASSERT_TRUE(financing_->follower()->WaitProcessed(resp.commit().seq(), absl::Seconds(60)));
  }

  v1::CreatePledgeRequest PledgeReq(const std::string& rid, const std::string& borrower,
                                    const std::vector<std::string>& lots, int64_t principal,
                                    int64_t max_ltv = 7000, int64_t margin_call = 8000) {
    v1::CreatePledgeRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = Day(2024, 3, 5);
    req.set_borrower_enterprise_id(borrower);
    for (const std::string& l : lots) req.add_lot_ids(l);
    req.set_principal_minor(principal);
    req.set_currency("CNY");
    req.set_interest_rate_bp(450);
    *req.mutable_maturity_date() = Day(2025, 3, 5);
    req.set_max_ltv_bp(max_ltv);
    req.set_margin_call_ltv_bp(margin_call);
    req.set_loan_reference("LOAN-" + rid);
    return req;
  }

  // Events of `token`'s bank after `cursor`, up to the head (follow = false).
  std::vector<v1::PledgeEvent> Events(absl::string_view token, uint64_t after_seq = 0,
                                      uint32_t after_index = 0) {
    std::unique_ptr<grpc::ClientContext> context = testing::ContextWithToken(token);
    v1::WatchEventsRequest req;
    req.set_after_seq(after_seq);
    req.set_after_index(after_index);
    auto reader = fin_->WatchEvents(context.get(), req);
    std::vector<v1::PledgeEvent> out;
    v1::PledgeEvent e;
    while (reader->Read(&e)) out.push_back(e);
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The standard world: an approved depot D-OK, an unapproved D-NO, enterprises ent-a and
  // ent-b, lots, a price of 60,000 CNY/t.
  void World() {
    MakeDepot("D-OK", true);
    MakeDepot("D-NO", false);
    Enrol("ent-a", {"D-OK", "D-NO"});
    Enrol("ent-b", {"D-OK"});
    Acquire("lots-a",
            {Lot("A1", "D-OK", 10, "ent-a"), Lot("A2", "D-OK", 10, "ent-a"),
             Lot("A3", "D-OK", 10, "ent-a"), Lot("A4", "D-NO", 10, "ent-a")},
            Day(2024, 1, 10));
    Price(Day(2024, 2, 1), 6'000'000);
  }

  std::unique_ptr<commercial::CollateralHook> collateral_hook_;
  std::unique_ptr<InventoryServiceImpl> inventory_;
  std::unique_ptr<CommercialReserveServiceImpl> commercial_;
  std::unique_ptr<FinancingServiceImpl> financing_;
  std::unique_ptr<testing::TestServer> server_;
  std::string address_;
  std::unique_ptr<Inv> inv_;
  std::unique_ptr<Com> com_;
  std::unique_ptr<Fin> fin_;
};

// The Qingdao case: two banks, each on its own connection, pledge overlapping lots at the
// same moment, round after round. Every lot goes to exactly one bank; the loser gets
// FAILED_PRECONDITION with the reason LOT_PLEDGED, and nothing that names the winner.
TEST_P(CommercialServiceTest, QingdaoTwoBanksRacingForOverlappingLots) {
  MakeDepot("D-OK", true);
  Enrol("ent-q", {"D-OK"});
  constexpr int kRounds = 40;
  std::vector<v1::Lot> lots;
  for (int i = 0; i < 3 * kRounds; ++i)
    lots.push_back(Lot(absl::StrCat("Q", i), "D-OK", 5, "ent-q"));
  Acquire("q-lots", lots, Day(2024, 1, 10));
  Price(Day(2024, 2, 1), 6'000'000);
  auto icbc = v1::FinancingService::NewStub(OwnChannel(address_));
  auto boc = v1::FinancingService::NewStub(OwnChannel(address_));
  std::map<std::string, std::string> owner_of;  // lot -> bank, from the winners
  for (int round = 0; round < kRounds; ++round) {
    const std::string x = absl::StrCat("Q", 3 * round), y = absl::StrCat("Q", 3 * round + 1),
                      z = absl::StrCat("Q", 3 * round + 2);
    Outcome a, b;
    v1::PledgeResponse ra, rb;
    std::atomic<int> ready{0};
    std::thread ta([&] {
      ready++;
      while (ready.load() < 2) {
      }
      a = Call(*icbc, &Fin::CreatePledge,
               PledgeReq(absl::StrCat("qa", round), "ent-q", {x, y}, 10'000'000), &ra,
               "icbc-token");
    });
    std::thread tb([&] {
      ready++;
      while (ready.load() < 2) {
      }
      b = Call(*boc, &Fin::CreatePledge,
               PledgeReq(absl::StrCat("qb", round), "ent-q", {y, z}, 10'000'000), &rb, "boc-token");
    });
    ta.join();
    tb.join();
    ASSERT_NE(a.status.ok(), b.status.ok())
        << "round " << round << ": " << a.status << " / " << b.status;
    const Outcome& loser = a.status.ok() ? b : a;
    EXPECT_EQ(loser.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(loser.reason(), "LOT_PLEDGED");
    EXPECT_THAT(std::string(loser.status.message()),
                ::testing::Not(::testing::HasSubstr(a.status.ok() ? "icbc" : "boc")));
    const v1::PledgeResponse& won = a.status.ok() ? ra : rb;
    for (const std::string& lot : won.pledge().lot_ids()) {
      ASSERT_TRUE(owner_of.emplace(lot, won.pledge().bank_id()).second) << lot;
    }
  }
  // Read back from the server: each bank's pledges, disjoint, and the lots say the same.
  std::map<std::string, std::string> listed;
  for (auto [token, bank] : {std::pair{"icbc-token", "icbc"}, std::pair{"boc-token", "boc"}}) {
    v1::ListPledgesRequest req;
    req.set_page_size(1000);
    v1::ListPledgesResponse resp;
    ASSERT_TRUE(Call(*fin_, &Fin::ListPledges, req, &resp, token).status.ok());
    for (const v1::Pledge& p : resp.pledges()) {
      EXPECT_EQ(p.bank_id(), bank);
      for (const std::string& lot : p.lot_ids()) {
        ASSERT_TRUE(listed.emplace(lot, bank).second) << lot << " pledged twice";
      }
    }
  }
  EXPECT_EQ(listed, owner_of);
  for (const auto& [lot, bank] : listed) {
    v1::GetLotRequest req;
    req.set_lot_id(lot);
    v1::Lot got;
    ASSERT_TRUE(Call(*inv_, &Inv::GetLot, req, &got).status.ok());
    ASSERT_EQ(got.encumbrances_size(), 1) << lot;
    EXPECT_EQ(got.encumbrances(0).holder(), absl::StrCat("bank:", bank));
  }
}

// A stock count of a pledged lot changes the pledge in the count's own transaction: the
// bank's collateral is the metal counted, and the bank hears of it on its event stream.
TEST_P(CommercialServiceTest, AStockCountOfAPledgedLotReachesTheBank) {
  World();
  v1::PledgeResponse p;
  // 400,000 CNY against 10 t at 60,000 CNY/t: LTV 66.67%, margin call at 80%.
  ASSERT_TRUE(Call(*fin_, &Fin::CreatePledge, PledgeReq("p1", "ent-a", {"A1"}, 40'000'000), &p,
                   "icbc-token")
                  .status.ok());
  auto count = [&](const std::string& rid, int64_t counted_g, v1::StockCountResponse* resp) {
    v1::RecordStockCountRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = Day(2024, 4, 1);
    req.set_lot_id("A1");
    req.set_counted_mass_g(counted_g);
    req.set_reason("quarterly count");
    return Call(*inv_, &Inv::RecordStockCount, req, resp);
  };
  v1::StockCountResponse small;
  Outcome o = count("cnt-1", 10 * kTonne - 30'000, &small);  // within the 0.5% tolerance
  ASSERT_TRUE(o.status.ok()) << o.status;
  v1::StockCountResponse big;
  ASSERT_TRUE(count("cnt-2", 8 * kTonne, &big).status.ok());  // 2 t short: waits
  v1::DecideStockCountRequest decide;
  decide.set_request_id("ok-2");
  *decide.mutable_business_date() = Day(2024, 4, 2);
  decide.set_count_id("cnt-2");
  decide.set_approve(true);
  v1::StockCountResponse decided;
  o = Call(*inv_, &Inv::DecideStockCount, decide, &decided, "approver-token");
  ASSERT_TRUE(o.status.ok()) << o.status;

  v1::GetPledgeRequest get;
  get.set_pledge_id(p.pledge().pledge_id());
  v1::Pledge now;
  ASSERT_TRUE(Call(*fin_, &Fin::GetPledge, get, &now, "icbc-token").status.ok());
  EXPECT_EQ(now.collateral_mass_g(), 8 * kTonne);
  EXPECT_TRUE(now.in_margin_call());  // 400,000 / 480,000 = 83.33%

  std::vector<v1::PledgeEvent> events = Events("icbc-token");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind(), v1::PLEDGE_EVENT_KIND_CREATED);
  EXPECT_EQ(events[1].kind(), v1::PLEDGE_EVENT_KIND_COLLATERAL_COUNTED);
  EXPECT_EQ(events[1].pledge().collateral_mass_g(), 10 * kTonne - 30'000);
  EXPECT_EQ(events[1].ltv_bp(), 6687);  // 400,000 / (9.97 t * 60,000) = 66.87%
  EXPECT_EQ(events[2].kind(), v1::PLEDGE_EVENT_KIND_MARGIN_CALL);
  EXPECT_EQ(events[2].ltv_bp(), 8333);
  EXPECT_TRUE(Events("boc-token").empty());
}

TEST_P(CommercialServiceTest, PledgedLotsCannotBeReleasedOrTransferred) {
  World();
  v1::PledgeResponse p;
  Outcome o = Call(*fin_, &Fin::CreatePledge, PledgeReq("p1", "ent-a", {"A1"}, 10'000'000), &p,
                   "icbc-token");
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(p.ltv_bp(), 1667);  // 100,000 CNY against 10 t at 60,000 CNY/t
  const uint64_t head = Head();
  v1::ReleaseLotsRequest release;
  release.set_request_id("rel");
  release.add_lines()->set_lot_id("A1");
  release.set_buyer("Buyer");
  release.set_reference("SALE-1");
  v1::ReleaseLotsResponse released;
  Outcome r = Call(*inv_, &Inv::ReleaseLots, release, &released);
  EXPECT_EQ(r.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.reason(), "LOT_PLEDGED");
  v1::DispatchLotRequest dispatch;
  dispatch.set_request_id("disp");
  dispatch.set_lot_id("A1");
  dispatch.set_to_depot_id("D-NO");
  v1::TransferResponse moved;
  Outcome d = Call(*inv_, &Inv::DispatchLot, dispatch, &moved);
  EXPECT_EQ(d.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.reason(), "LOT_PLEDGED");
  EXPECT_EQ(Head(), head);  // nothing written
  // Pledging it again, by anyone, is refused too.
  v1::PledgeResponse again;
  EXPECT_EQ(
      Call(*fin_, &Fin::CreatePledge, PledgeReq("p2", "ent-a", {"A1"}, 1'000), &again, "boc-token")
          .reason(),
      "LOT_PLEDGED");
  // After repayment the lot moves again.
  v1::RepayPledgeRequest repay;
  repay.set_request_id("repay");
  *repay.mutable_business_date() = Day(2024, 4, 1);
  repay.set_pledge_id(p.pledge().pledge_id());
  v1::PledgeResponse repaid;
  ASSERT_TRUE(Call(*fin_, &Fin::RepayPledge, repay, &repaid, "icbc-token").status.ok());
  EXPECT_EQ(repaid.pledge().status(), v1::PLEDGE_STATUS_RELEASED);
  EXPECT_TRUE(Call(*inv_, &Inv::DispatchLot, dispatch, &moved).status.ok());
}

TEST_P(CommercialServiceTest, ABankCannotReadAnotherBanksPledge) {
  World();
  v1::PledgeResponse p;
  ASSERT_TRUE(Call(*fin_, &Fin::CreatePledge, PledgeReq("p1", "ent-a", {"A1", "A2"}, 10'000'000),
                   &p, "icbc-token")
                  .status.ok());
  const std::string id = p.pledge().pledge_id();
  v1::GetPledgeRequest get;
  get.set_pledge_id(id);
  v1::Pledge got;
  Outcome other = Call(*fin_, &Fin::GetPledge, get, &got, "boc-token");
  EXPECT_EQ(other.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(other.reason(), "UNKNOWN_PLEDGE");
  EXPECT_EQ(got.ByteSizeLong(), 0u);                                  // no data comes back
  EXPECT_EQ(other.status.message(), absl::StrCat("no pledge ", id));  // what was asked, no more
  // The same answer as for a pledge that does not exist.
  get.set_pledge_id("icbc:00000000000000000000000000000000");
  Outcome none = Call(*fin_, &Fin::GetPledge, get, &got, "icbc-token");
  EXPECT_EQ(none.code(), absl::StatusCode::kNotFound);
  v1::ListPledgesRequest list;
  v1::ListPledgesResponse listed;
  ASSERT_TRUE(Call(*fin_, &Fin::ListPledges, list, &listed, "boc-token").status.ok());
  EXPECT_EQ(listed.pledges_size(), 0);
  EXPECT_TRUE(Events("boc-token").empty());
  v1::RepayPledgeRequest repay;
  repay.set_request_id("steal");
  repay.set_pledge_id(id);
  v1::PledgeResponse r;
  EXPECT_EQ(Call(*fin_, &Fin::RepayPledge, repay, &r, "boc-token").code(),
            absl::StatusCode::kNotFound);
  v1::GetExposureRequest exposure;
  v1::GetExposureResponse e;
  ASSERT_TRUE(Call(*fin_, &Fin::GetExposure, exposure, &e, "boc-token").status.ok());
  EXPECT_EQ(e.rows_size(), 0);
  // Verify tells boc the lot is encumbered, never by whom.
  v1::VerifyLotsRequest verify;
  verify.add_lot_ids("A1");
  verify.add_lot_ids("A3");
  v1::VerifyLotsResponse v;
  ASSERT_TRUE(Call(*fin_, &Fin::VerifyLots, verify, &v, "boc-token").status.ok());
  EXPECT_EQ(v.lots(0).pledgeability(), v1::PLEDGEABILITY_ENCUMBERED);
  EXPECT_EQ(v.lots(1).pledgeability(), v1::PLEDGEABILITY_FREE);
  EXPECT_EQ(v.lots(1).net_mass_g(), 10 * kTonne);
  EXPECT_EQ(v.DebugString().find("icbc"), std::string::npos);
  // The owner sees it; admins and auditors see it; finance sees totals only.
  get.set_pledge_id(id);
  EXPECT_TRUE(Call(*fin_, &Fin::GetPledge, get, &got, "icbc-token").status.ok());
  EXPECT_TRUE(Call(*fin_, &Fin::GetPledge, get, &got, "auditor-token").status.ok());
  EXPECT_EQ(Call(*fin_, &Fin::GetPledge, get, &got, "finance-token").code(),
            absl::StatusCode::kPermissionDenied);
  v1::GetFinancingTotalsRequest totals;
  v1::GetFinancingTotalsResponse t;
  ASSERT_TRUE(Call(*fin_, &Fin::GetFinancingTotals, totals, &t, "finance-token").status.ok());
  ASSERT_EQ(t.rows_size(), 1);
  EXPECT_EQ(t.rows(0).active_pledges(), 1);
  EXPECT_EQ(t.rows(0).principal_minor(), 10'000'000);
  EXPECT_EQ(t.DebugString().find("icbc"), std::string::npos);
  EXPECT_EQ(Call(*fin_, &Fin::GetFinancingTotals, totals, &t, "icbc-token").code(),
            absl::StatusCode::kPermissionDenied);
  // A principal acting for two banks is refused rather than guessed.
  EXPECT_EQ(Call(*fin_, &Fin::GetExposure, exposure, &e, "two-banks-token").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_P(CommercialServiceTest, SubsidyForAKnownHoldingPatternMatchesTheHandFigure) {
  MakeDepot("D-OK", true);
  Enrol("ent-a", {"D-OK"});
  Enrol("ent-b", {"D-OK"});
  v1::CreateAgreementRequest create;
  create.set_request_id("ag");
  *create.mutable_business_date() = Day(2024, 2, 1);
  v1::Agreement* a = create.mutable_agreement();
  a->set_agreement_id("GS-2024-CU-01");
  a->set_enterprise_id("ent-a");
  a->set_metal("CU");
  a->set_committed_mass_g(100 * kTonne);
  *a->mutable_start_date() = Day(2024, 3, 1);
  *a->mutable_end_date() = Day(2024, 12, 31);
  a->add_depot_ids("D-OK");
  a->set_currency("CNY");
  a->set_storage_subsidy_minor_per_t_per_day(50);
  a->set_interest_subsidy_bp(300);
  a->set_call_up_notice_days(10);
  a->set_call_up_price_rule(v1::CALL_UP_PRICE_RULE_FIXED);
  a->set_call_up_price_minor_per_t(5'000'000);
  v1::AgreementResponse created;
  ASSERT_TRUE(Call(*com_, &Com::CreateAgreement, create, &created).status.ok());
  // 60 t from Feb 20, +60 t on Mar 4, -30 t on Mar 8.
  Acquire("h1", {Lot("A1", "D-OK", 60, "ent-a")}, Day(2024, 2, 20));
  Acquire("h2", {Lot("A2", "D-OK", 60, "ent-a")}, Day(2024, 3, 4));
  v1::ReleaseLotsRequest release;
  release.set_request_id("h3");
  *release.mutable_business_date() = Day(2024, 3, 8);
  v1::ReleaseLine* line = release.add_lines();
  line->set_lot_id("A2");
  line->set_mass_g(30 * kTonne);
  release.set_buyer("Buyer");
  release.set_reference("SALE");
  v1::ReleaseLotsResponse released;
  ASSERT_TRUE(Call(*inv_, &Inv::ReleaseLots, release, &released).status.ok());
  Price(Day(2024, 2, 1), 6'000'000);
  v1::PledgeResponse p;
  ASSERT_TRUE(Call(*fin_, &Fin::CreatePledge, PledgeReq("p1", "ent-a", {"A1"}, 100'000'000), &p,
                   "icbc-token")
                  .status.ok());
  EXPECT_EQ(p.pledge().agreement_id(), "GS-2024-CU-01");

  v1::GetComplianceRequest compliance;
  compliance.set_agreement_id("GS-2024-CU-01");
  *compliance.mutable_from_date() = Day(2024, 3, 1);
  *compliance.mutable_to_date() = Day(2024, 3, 10);
  v1::GetComplianceResponse c;
  ASSERT_TRUE(Call(*com_, &Com::GetCompliance, compliance, &c, "ent-a-token").status.ok());
  std::vector<int64_t> held;
  for (const v1::ComplianceDay& d : c.days()) held.push_back(d.held_mass_g() / kTonne);
  EXPECT_THAT(held, ElementsAre(60, 60, 60, 120, 120, 120, 120, 90, 90, 90));
  std::vector<int> short_days;
  for (const v1::Date& d : c.shortfall_dates()) short_days.push_back(d.day());
  EXPECT_THAT(short_days, ElementsAre(1, 2, 3, 8, 9, 10));
  EXPECT_EQ(Call(*com_, &Com::GetCompliance, compliance, &c, "ent-b-token").code(),
            absl::StatusCode::kNotFound);

  // By hand: storage 850 t-days x 50 fen = 42,500 fen; interest 100,000,000 fen x 6 days
  // x 300 bp / (10,000 x 365) = 49,315.07 -> 49,315 fen (half away from zero); 91,815 fen.
  v1::IssueSubsidyStatementRequest issue;
  issue.set_request_id("st1");
  *issue.mutable_business_date() = Day(2024, 3, 11);
  issue.set_enterprise_id("ent-a");
  *issue.mutable_period_start() = Day(2024, 3, 1);
  *issue.mutable_period_end() = Day(2024, 3, 10);
  v1::SubsidyStatementResponse st;
  ASSERT_TRUE(Call(*com_, &Com::IssueSubsidyStatement, issue, &st).status.ok());
  ASSERT_EQ(st.statement().lines_size(), 1);
  EXPECT_EQ(st.statement().lines(0).held_gram_days(), 850 * kTonne);
  EXPECT_EQ(st.statement().lines(0).storage_subsidy_minor(), 42'500);
  EXPECT_EQ(st.statement().lines(0).interest_subsidy_minor(), 49'315);
  EXPECT_EQ(st.statement().total_minor(), 91'815);

  v1::PaySubsidyStatementRequest pay;
  pay.set_request_id("pay");
  *pay.mutable_business_date() = Day(2024, 3, 12);
  pay.set_statement_id(st.statement().statement_id());
  v1::SubsidyStatementResponse paid;
  EXPECT_EQ(Call(*com_, &Com::PaySubsidyStatement, pay, &paid).reason(), "BUDGET_INSUFFICIENT");
  v1::FundBudgetRequest fund;
  fund.set_request_id("fund");
  fund.set_budget(v1::BUDGET_SUBSIDY);
  fund.set_currency("CNY");
  fund.set_amount_minor(1'000'000);
  v1::FundBudgetResponse funded;
  EXPECT_EQ(Call(*com_, &Com::FundBudget, fund, &funded, "finance-token").code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Call(*com_, &Com::FundBudget, fund, &funded).status.ok());
  EXPECT_EQ(funded.balance().balance_minor(), 1'000'000);
  pay.set_request_id("pay-2");
  ASSERT_TRUE(Call(*com_, &Com::PaySubsidyStatement, pay, &paid).status.ok());
  EXPECT_EQ(paid.statement().status(), v1::SUBSIDY_STATEMENT_STATUS_PAID);
  v1::GetCommercialBudgetRequest budget;
  budget.set_budget(v1::BUDGET_SUBSIDY);
  budget.set_currency("CNY");
  v1::BudgetBalance balance;
  ASSERT_TRUE(Call(*com_, &Com::GetBudget, budget, &balance, "finance-token").status.ok());
  EXPECT_EQ(balance.balance_minor(), 1'000'000 - 91'815);
}

// A price drop raises margin calls for exactly the pledges that crossed the threshold, and
// each bank's stream carries its own.
TEST_P(CommercialServiceTest, APriceDropRaisesMarginCallsForExactlyThoseThatCrossed) {
  World();
  // 10 t lots worth 60,000,000 fen: LTV 50%, 60%, 69%; margin call at 80%.
  std::vector<std::string> ids;
  for (auto [lot, principal, token] :
       {std::tuple{"A1", 30'000'000, "icbc-token"}, std::tuple{"A2", 36'000'000, "boc-token"},
        std::tuple{"A3", 41'400'000, "icbc-token"}}) {
    v1::PledgeResponse p;
    Outcome o = Call(*fin_, &Fin::CreatePledge,
                     PledgeReq(absl::StrCat("m-", lot), "ent-a", {lot}, principal), &p, token);
    ASSERT_TRUE(o.status.ok()) << o.status;
    ids.push_back(p.pledge().pledge_id());
  }
  Price(Day(2024, 3, 10), 5'000'000);  // 60%, 72%, 82.8%
  auto in_call = [&] {
    std::vector<bool> out;
    for (const std::string& id : ids) {
      v1::GetPledgeRequest get;
      get.set_pledge_id(id);
      v1::Pledge p;
      EXPECT_TRUE(Call(*fin_, &Fin::GetPledge, get, &p, "auditor-token").status.ok());
      out.push_back(p.in_margin_call());
    }
    return out;
  };
  EXPECT_THAT(in_call(), ElementsAre(false, false, true));
  Price(Day(2024, 3, 11), 4'000'000);  // 75%, 90%, 103.5%
  EXPECT_THAT(in_call(), ElementsAre(false, true, true));

  std::vector<std::pair<v1::PledgeEventKind, std::string>> icbc, boc;
  for (const v1::PledgeEvent& e : Events("icbc-token")) icbc.emplace_back(e.kind(), e.pledge_id());
  for (const v1::PledgeEvent& e : Events("boc-token")) boc.emplace_back(e.kind(), e.pledge_id());
  EXPECT_THAT(icbc, ElementsAre(std::pair{v1::PLEDGE_EVENT_KIND_CREATED, ids[0]},
                                std::pair{v1::PLEDGE_EVENT_KIND_CREATED, ids[2]},
                                std::pair{v1::PLEDGE_EVENT_KIND_MARGIN_CALL, ids[2]}));
  EXPECT_THAT(boc, ElementsAre(std::pair{v1::PLEDGE_EVENT_KIND_CREATED, ids[1]},
                               std::pair{v1::PLEDGE_EVENT_KIND_MARGIN_CALL, ids[1]}));
  v1::GetExposureRequest exposure;
  v1::GetExposureResponse e;
  ASSERT_TRUE(Call(*fin_, &Fin::GetExposure, exposure, &e, "boc-token").status.ok());
  ASSERT_EQ(e.rows_size(), 1);
  EXPECT_EQ(e.rows(0).ltv_bp(), 9000);
  EXPECT_EQ(e.rows(0).collateral_value_minor(), 40'000'000);
  EXPECT_TRUE(e.rows(0).in_margin_call());
}

// Events resume from a cursor after the server restarts: nothing lost, nothing repeated.
TEST_P(CommercialServiceTest, EventStreamResumesAfterARestart) {
  World();
  auto pledge = [&](const std::string& rid, const std::string& lot, int64_t principal) {
    v1::PledgeResponse p;
    Outcome o = Call(*fin_, &Fin::CreatePledge, PledgeReq(rid, "ent-a", {lot}, principal), &p,
                     "icbc-token");
    EXPECT_TRUE(o.status.ok()) << o.status;
    return p.pledge().pledge_id();
  };
  std::string p1 = pledge("e1", "A1", 30'000'000);
  std::string p2 = pledge("e2", "A2", 30'000'000);
  // A follow-mode stream reads the first two events, then the server goes away under it.
  v1::PledgeEvent last;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer icbc-token");
    v1::WatchEventsRequest req;
    req.set_follow(true);
    auto reader = fin_->WatchEvents(&context, req);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(reader->Read(&last));
    ASSERT_NO_FATAL_FAILURE(Restart());
    v1::PledgeEvent more;
    while (reader->Read(&more)) {
    }
    grpc::Status s = reader->Finish();
    EXPECT_FALSE(s.ok());  // UNAVAILABLE or CANCELLED: the client resumes from its cursor
  }
  // While it was away: a repayment, a margin call, a new pledge.
  v1::RepayPledgeRequest repay;
  repay.set_request_id("r1");
  *repay.mutable_business_date() = Day(2024, 4, 1);
  repay.set_pledge_id(p1);
  v1::PledgeResponse repaid;
  ASSERT_TRUE(Call(*fin_, &Fin::RepayPledge, repay, &repaid, "icbc-token").status.ok());
  Price(Day(2024, 4, 2), 3'000'000);                // p2: 30,000,000 / 30,000,000 = 100%
  std::string p3 = pledge("e3", "A3", 10'000'000);  // 33% at the new price

  std::vector<v1::PledgeEvent> all = Events("icbc-token");
  std::vector<v1::PledgeEvent> resumed = Events("icbc-token", last.seq(), last.index());
  ASSERT_EQ(all.size(), 5u);
  ASSERT_EQ(resumed.size(), 3u);
  for (size_t i = 0; i < resumed.size(); ++i) {
    EXPECT_EQ(resumed[i].seq(), all[i + 2].seq());
    EXPECT_EQ(resumed[i].index(), all[i + 2].index());
  }
  EXPECT_EQ(resumed[0].kind(), v1::PLEDGE_EVENT_KIND_RELEASED);
  EXPECT_EQ(resumed[0].pledge_id(), p1);
  EXPECT_EQ(resumed[1].kind(), v1::PLEDGE_EVENT_KIND_MARGIN_CALL);
  EXPECT_EQ(resumed[1].pledge_id(), p2);
  EXPECT_EQ(resumed[2].kind(), v1::PLEDGE_EVENT_KIND_CREATED);
  EXPECT_EQ(resumed[2].pledge_id(), p3);
  // Cursors are strictly increasing: no event twice.
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_TRUE(all[i].seq() > all[i - 1].seq() ||
                (all[i].seq() == all[i - 1].seq() && all[i].index() > all[i - 1].index()));
  }
  // The margin call happened exactly once although the follower restarted in between.
  Restart();
  EXPECT_EQ(Events("icbc-token").size(), 5u);
}

TEST_P(CommercialServiceTest, EnterprisesSeeOnlyTheirOwnAgreements) {
  MakeDepot("D-OK", true);
  Enrol("ent-a", {"D-OK"});
  Enrol("ent-b", {"D-OK"});
  for (const char* ent : {"ent-a", "ent-b"}) {
    v1::CreateAgreementRequest create;
    create.set_request_id(absl::StrCat("ag-", ent));
    v1::Agreement* a = create.mutable_agreement();
    a->set_agreement_id(absl::StrCat("AG-", ent));
    a->set_enterprise_id(ent);
    a->set_metal("CU");
    a->set_committed_mass_g(10 * kTonne);
    *a->mutable_start_date() = Day(2024, 1, 1);
    *a->mutable_end_date() = Day(2024, 12, 31);
    a->add_depot_ids("D-OK");
    a->set_currency("CNY");
    a->set_call_up_price_rule(v1::CALL_UP_PRICE_RULE_MARKET);
    a->set_call_up_market_discount_bp(500);
    v1::AgreementResponse resp;
    EXPECT_EQ(Call(*com_, &Com::CreateAgreement, create, &resp, "ent-a-token").code(),
              absl::StatusCode::kPermissionDenied);
    ASSERT_TRUE(Call(*com_, &Com::CreateAgreement, create, &resp).status.ok());
  }
  v1::ListAgreementsRequest list;
  v1::ListAgreementsResponse listed;
  ASSERT_TRUE(Call(*com_, &Com::ListAgreements, list, &listed, "ent-a-token").status.ok());
  ASSERT_EQ(listed.agreements_size(), 1);
  EXPECT_EQ(listed.agreements(0).agreement_id(), "AG-ent-a");
  ASSERT_TRUE(Call(*com_, &Com::ListAgreements, list, &listed, "finance-token").status.ok());
  EXPECT_EQ(listed.agreements_size(), 2);
  v1::GetAgreementRequest get;
  get.set_agreement_id("AG-ent-b");
  v1::Agreement got;
  EXPECT_EQ(Call(*com_, &Com::GetAgreement, get, &got, "ent-a-token").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(got.ByteSizeLong(), 0u);
  ASSERT_TRUE(Call(*com_, &Com::GetAgreement, get, &got, "ent-b-token").status.ok());
  v1::GetEnterpriseRequest ent;
  ent.set_enterprise_id("ent-b");
  v1::Enterprise e;
  EXPECT_EQ(Call(*com_, &Com::GetEnterprise, ent, &e, "ent-a-token").code(),
            absl::StatusCode::kNotFound);
  v1::ListEnterprisesRequest all;
  v1::ListEnterprisesResponse enterprises;
  EXPECT_EQ(Call(*com_, &Com::ListEnterprises, all, &enterprises, "ent-a-token").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Call(*com_, &Com::ListEnterprises, all, &enterprises, "icbc-token").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Call(*com_, &Com::GetAgreement, get, &got, "").code(),
            absl::StatusCode::kUnauthenticated);
}

// Bad input over the wire: INVALID_ARGUMENT naming the field, and nothing written.
TEST_P(CommercialServiceTest, BadInputIsRejectedNamingTheFieldAndWritesNothing) {
  World();
  const uint64_t head = Head();
  v1::PledgeResponse p;
  auto pledge_field = [&](const v1::CreatePledgeRequest& r) {
    Outcome o = Call(*fin_, &Fin::CreatePledge, r, &p, "icbc-token");
    EXPECT_EQ(o.code(), absl::StatusCode::kInvalidArgument) << o.status;
    return o.field().value_or("");
  };
  v1::CreatePledgeRequest r = PledgeReq("bad", "ent-a", {"A1"}, 1'000);
  r.clear_maturity_date();
  EXPECT_EQ(pledge_field(r), "maturity_date");
  r = PledgeReq("bad", "ent-a", {"A1"}, 1'000);
  *r.mutable_business_date() = Day(2024, 2, 30);
  EXPECT_EQ(pledge_field(r), "business_date");
  r = PledgeReq("bad", "ent-a", {"A1"}, -5);
  EXPECT_EQ(pledge_field(r), "principal_minor");
  r = PledgeReq("", "ent-a", {"A1"}, 1'000);
  EXPECT_EQ(pledge_field(r), "request_id");
  r = PledgeReq("bad", "ent-a", {"A1", "A1"}, 1'000);
  EXPECT_EQ(pledge_field(r), "lot_ids[1]");
  r = PledgeReq("bad", "ent-a", {}, 1'000);
  EXPECT_EQ(pledge_field(r), "lot_ids");
  r = PledgeReq("bad", "ent/a", {"A1"}, 1'000);
  EXPECT_EQ(pledge_field(r), "borrower_enterprise_id");
  r = PledgeReq("bad", "ent-a", {"A1"}, 1'000, 9000, 8000);
  EXPECT_EQ(pledge_field(r), "margin_call_ltv_bp");

  v1::GetPledgeRequest get;
  get.set_pledge_id("not-a-pledge");
  v1::Pledge got;
  EXPECT_EQ(Call(*fin_, &Fin::GetPledge, get, &got, "icbc-token").field(), "pledge_id");
  v1::ListPledgesRequest list;
  list.set_page_size(1001);
  v1::ListPledgesResponse listed;
  EXPECT_EQ(Call(*fin_, &Fin::ListPledges, list, &listed, "icbc-token").field(), "page_size");
  list.set_page_size(-1);
  EXPECT_EQ(Call(*fin_, &Fin::ListPledges, list, &listed, "icbc-token").field(), "page_size");
  list.set_page_size(10);
  list.set_page_token("garbage");
  EXPECT_EQ(Call(*fin_, &Fin::ListPledges, list, &listed, "icbc-token").field(), "page_token");
  list.set_page_token("");
  list.set_status(static_cast<v1::PledgeStatus>(42));
  EXPECT_EQ(Call(*fin_, &Fin::ListPledges, list, &listed, "icbc-token").field(), "status");
  v1::VerifyLotsRequest verify;
  v1::VerifyLotsResponse v;
  EXPECT_EQ(Call(*fin_, &Fin::VerifyLots, verify, &v, "icbc-token").field(), "lot_ids");

  // Enum zero and unknown values.
  v1::FundBudgetRequest fund;
  fund.set_request_id("f");
  fund.set_currency("CNY");
  fund.set_amount_minor(5);
  v1::FundBudgetResponse funded;
  EXPECT_EQ(Call(*com_, &Com::FundBudget, fund, &funded).field(), "budget");
  fund.set_budget(static_cast<v1::Budget>(9));
  EXPECT_EQ(Call(*com_, &Com::FundBudget, fund, &funded).field(), "budget");
  v1::CreateAgreementRequest create;
  create.set_request_id("ag");
  v1::Agreement* a = create.mutable_agreement();
  a->set_agreement_id("AG-X");
  a->set_enterprise_id("ent-a");
  a->set_metal("CU");
  a->set_committed_mass_g(kTonne);
  *a->mutable_start_date() = Day(2024, 1, 1);
  *a->mutable_end_date() = Day(2024, 12, 31);
  a->add_depot_ids("D-OK");
  a->set_currency("CNY");
  v1::AgreementResponse ag;
  EXPECT_EQ(Call(*com_, &Com::CreateAgreement, create, &ag).field(),
            "agreement.call_up_price_rule");
  a->set_call_up_price_rule(static_cast<v1::CallUpPriceRule>(7));
  EXPECT_EQ(Call(*com_, &Com::CreateAgreement, create, &ag).field(),
            "agreement.call_up_price_rule");
  a->set_call_up_price_rule(v1::CALL_UP_PRICE_RULE_FIXED);
  a->clear_start_date();
  EXPECT_EQ(Call(*com_, &Com::CreateAgreement, create, &ag).field(), "agreement.start_date");
  v1::GetComplianceRequest compliance;
  compliance.set_agreement_id("AG-X");
  v1::GetComplianceResponse c;
  EXPECT_EQ(Call(*com_, &Com::GetCompliance, compliance, &c).field(), "from_date");
  v1::RecordCallUpDeliveryRequest deliver;
  deliver.set_request_id("d");
  deliver.set_call_up_id("C-1");
  v1::CallUpResponse delivered;
  EXPECT_EQ(Call(*com_, &Com::RecordCallUpDelivery, deliver, &delivered).field(), "lot_ids");
  v1::GetSubsidyStatementRequest statement;
  statement.set_statement_id("nonsense");
  v1::SubsidyStatement s;
  EXPECT_EQ(Call(*com_, &Com::GetSubsidyStatement, statement, &s).field(), "statement_id");

  // A cursor from beyond the journal.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer icbc-token");
  v1::WatchEventsRequest watch;
  watch.set_after_seq(head + 1000);
  auto reader = fin_->WatchEvents(&context, watch);
  v1::PledgeEvent ev;
  EXPECT_FALSE(reader->Read(&ev));
  Outcome w{FromGrpcStatus(reader->Finish())};
  EXPECT_EQ(w.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w.field(), "after_seq");
  EXPECT_EQ(Head(), head);  // nothing was written by any of it
}

TEST_P(CommercialServiceTest, RetriesReplayAndReusedIdsAreRefused) {
  World();
  v1::CreatePledgeRequest r = PledgeReq("same", "ent-a", {"A1"}, 1'000'000);
  v1::PledgeResponse first, second;
  ASSERT_TRUE(Call(*fin_, &Fin::CreatePledge, r, &first, "icbc-token").status.ok());
  ASSERT_TRUE(Call(*fin_, &Fin::CreatePledge, r, &second, "icbc-token").status.ok());
  EXPECT_FALSE(first.commit().replayed());
  EXPECT_TRUE(second.commit().replayed());
  EXPECT_EQ(first.commit().seq(), second.commit().seq());
  EXPECT_EQ(first.pledge().pledge_id(), second.pledge().pledge_id());
  r.set_principal_minor(2'000'000);
  Outcome reused = Call(*fin_, &Fin::CreatePledge, r, &second, "icbc-token");
  EXPECT_EQ(reused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(reused.reason(), "REQUEST_ID_REUSED");
}

INSTANTIATE_TEST_SUITE_P(Deployments, CommercialServiceTest, testing::kDeployments,
                         testing::DeploymentName);

}  // namespace
}  // namespace reserve
